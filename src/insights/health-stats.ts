import { z } from 'zod';
import { toChTime, type Driver } from '../store/index.js';
import { hasEdges, rawEdgesByHourSql, rollupBodySql, splitParams } from './rollup-range.js';
import type { TimeRange } from './range.js';

/** Which flows a health query covers; every field optional (admin: all tenants). */
export interface FlowFilter {
  tenant?: string;
  integration?: string;
  flow?: string;
}

/** Counts of one flow over a window. */
export interface FlowCounts {
  /**
   * Runs that ended in the window: `succeeded` cleanly, `partial` (finished, but with
   * failed records), `failed`; total = succeeded + partial + failed.
   */
  runs: { total: number; succeeded: number; partial: number; failed: number };
  records: { synced: number; failed: number; skipped: number };
  failures: { infra: number; endpoint: number; data: number };
  /** Failures by `category.code`, e.g. `endpoint.rate_limited`. */
  failureCodes: Record<string, number>;
}

/** Identity of a flow: the connection (tenant, integration, connection id) and the flow name. */
export interface FlowKey {
  tenant: string;
  integration: string;
  connection: string;
  flow: string;
}

const count = z.coerce.number();

const statsRow = z
  .object({
    tenant: z.string(),
    integration: z.string(),
    connection: z.string(),
    flow: z.string(),
    runs_total: count,
    runs_succeeded: count,
    runs_failed: count,
    records_synced: count,
    records_failed: count,
    records_skipped: count,
    failures_infra: count,
    failures_endpoint: count,
    failures_data: count,
    failure_codes: z.record(z.string(), count),
  })
  .transform((r): FlowKey & FlowCounts => ({
    tenant: r.tenant,
    integration: r.integration,
    connection: r.connection,
    flow: r.flow,
    runs: { total: r.runs_total, succeeded: r.runs_succeeded, partial: 0, failed: r.runs_failed },
    records: { synced: r.records_synced, failed: r.records_failed, skipped: r.records_skipped },
    failures: { infra: r.failures_infra, endpoint: r.failures_endpoint, data: r.failures_data },
    failureCodes: r.failure_codes,
  }));

const FAILED = "type IN ('run.failed', 'record.failed')";

// The same figures as the flow_stats materialised view (006), computed from raw events
// (activity_log, migration 022): used for the partial hours at the edges of a window.
const RAW_COUNTS = `
  countIf(type IN ('run.succeeded', 'run.failed')) AS runs_total,
  countIf(type = 'run.succeeded') AS runs_succeeded,
  countIf(type = 'run.failed') AS runs_failed,
  countIf(type = 'record.synced') AS records_synced,
  countIf(type = 'record.failed') AS records_failed,
  countIf(type = 'record.skipped') AS records_skipped,
  countIf(${FAILED} AND failure_category = 'infra') AS failures_infra,
  countIf(${FAILED} AND failure_category = 'endpoint') AS failures_endpoint,
  countIf(${FAILED} AND failure_category = 'data') AS failures_data,
  sumMapIf(map(concat(toString(failure_category), '.', toString(failure_code)), toUInt64(1)), ${FAILED}) AS failure_codes`;

const ROLLUP_COUNTS = `
  sum(runs_total) AS runs_total, sum(runs_succeeded) AS runs_succeeded, sum(runs_failed) AS runs_failed,
  sum(records_synced) AS records_synced, sum(records_failed) AS records_failed, sum(records_skipped) AS records_skipped,
  sum(failures_infra) AS failures_infra, sum(failures_endpoint) AS failures_endpoint, sum(failures_data) AS failures_data,
  sumMap(failure_codes) AS failure_codes`;

const KEY = 'tenant, integration, connection, flow';
const COUNTED_TYPES = "'run.succeeded', 'run.failed', 'record.synced', 'record.failed', 'record.skipped'";

/** Parameterised WHERE fragments for a flow filter (values are bound, never pasted). */
export function flowWhere(f: FlowFilter): string[] {
  const where: string[] = [];
  if (f.tenant !== undefined) where.push('tenant = {tenant:String}');
  if (f.integration !== undefined) where.push('integration = {integration:String}');
  if (f.flow !== undefined) where.push('flow = {flow:String}');
  return where;
}

/** The bound values for {@link flowWhere} (unused ones are harmless, undefined ones are not). */
export function flowParams(f: FlowFilter): Record<string, string> {
  return { tenant: f.tenant ?? '', integration: f.integration ?? '', flow: f.flow ?? '' };
}

/** Joins WHERE fragments with AND; no fragment means every row. */
export const and = (parts: string[]) => (parts.length ? parts.join(' AND ') : '1');

/**
 * Runs, record attempts and failures per flow in a window: whole hours from the
 * flow_stats rollup, the partial edge hours from activity_log (raw events ordered by
 * hour, so an edge hour across every tenant is one short range; rollup-range.ts), so the
 * result equals a recount of raw rows while reading at most two hours of them. A window
 * of whole hours reads no raw rows at all.
 */
export async function getFlowCounts(driver: Driver, filter: FlowFilter, range: TimeRange): Promise<(FlowKey & FlowCounts)[]> {
  const where = flowWhere(filter);
  const raw = hasEdges(range, 'hour')
    ? `UNION ALL
      SELECT ${KEY}, ${RAW_COUNTS}
      FROM activity_log
      WHERE ${and([...where, `type IN (${COUNTED_TYPES})`, rawEdgesByHourSql('hour')])}
      GROUP BY ${KEY}`
    : '';
  const sql = `
    SELECT ${KEY}, ${ROLLUP_COUNTS}
    FROM (
      SELECT ${KEY}, ${ROLLUP_COUNTS}
      FROM flow_stats
      WHERE ${and([...where, rollupBodySql('hour', 'hour')])}
      GROUP BY ${KEY}
      ${raw}
    )
    GROUP BY ${KEY}`;
  const [counts, partial] = await Promise.all([
    driver.query({ name: 'health.flow_counts', sql, params: { ...flowParams(filter), ...splitParams(range, 'hour') }, schema: statsRow }),
    getPartialRuns(driver, filter, range),
  ]);
  // A partial run is one of the run.succeeded events counted above: move it out of `succeeded`.
  for (const c of counts) {
    const n = Math.min(partial.get(`${c.tenant}\u0000${c.integration}\u0000${c.connection}\u0000${c.flow}`) ?? 0, c.runs.succeeded);
    c.runs.succeeded -= n;
    c.runs.partial = n;
  }
  return counts;
}

const partialRow = z.object({ tenant: z.string(), integration: z.string(), connection: z.string(), flow: z.string(), partial: count });

/**
 * Runs per flow that ended in the window without failing but with failed records. A
 * run's end is its last terminal event; every terminal event that could be later than
 * one inside the window is at or after `from`, so run_ends (terminal events and failed
 * records by hour, migration 071) read from `from`'s hour on gives each run's exact end
 * and outcome: the read is bounded by the window (and what came after it), not by every
 * run seen since it began. A run with a failed record in that read is partial; for the
 * others (their failed records, if any, are all older) run_failed answers by key, a
 * look-up of those few keys.
 */
async function getPartialRuns(driver: Driver, filter: FlowFilter, range: TimeRange): Promise<Map<string, number>> {
  const T = "DateTime64(3, 'UTC')";
  const rows = await driver.query({
    name: 'health.partial_runs',
    sql: `SELECT run_tenant AS tenant, run_integration AS integration, run_connection AS connection, run_flow AS flow, count() AS partial
          FROM (
            SELECT run_key, any(tenant) AS run_tenant, any(integration) AS run_integration, any(connection) AS run_connection, any(flow) AS run_flow,
                   maxIf(ts, kind > 0) AS ended, argMaxIf(kind, (ts, event_id), kind > 0) = 2 AS ok, countIf(kind = 0) > 0 AS failed
            FROM run_ends
            WHERE ${and([...flowWhere(filter), `hour >= toStartOfHour({from:${T}})`])}
            GROUP BY run_key
            HAVING ok AND ended >= {from:${T}} AND ended < {to:${T}}
          )
          WHERE failed OR run_key IN (SELECT run_key FROM run_failed WHERE run_key IN (
            SELECT run_key FROM run_ends WHERE ${and([...flowWhere(filter), `hour >= toStartOfHour({from:${T}})`])}
            GROUP BY run_key HAVING countIf(kind = 0) = 0))
          GROUP BY run_tenant, run_integration, run_connection, run_flow`,
    params: { ...flowParams(filter), from: toChTime(range.from.getTime()), to: toChTime(range.to.getTime()) },
    schema: partialRow,
  });
  return new Map(rows.map((r) => [`${r.tenant}\u0000${r.integration}\u0000${r.connection}\u0000${r.flow}`, r.partial]));
}

/** Zero counts: a flow with no activity in the window. */
export function emptyCounts(): FlowCounts {
  return {
    runs: { total: 0, succeeded: 0, partial: 0, failed: 0 },
    records: { synced: 0, failed: 0, skipped: 0 },
    failures: { infra: 0, endpoint: 0, data: 0 },
    failureCodes: {},
  };
}

/** Adds counts together (a connection's totals are the sum of its flows'). */
export function addCounts(a: FlowCounts, b: FlowCounts): FlowCounts {
  const codes = { ...a.failureCodes };
  for (const [k, v] of Object.entries(b.failureCodes)) codes[k] = (codes[k] ?? 0) + v;
  return {
    runs: {
      total: a.runs.total + b.runs.total,
      succeeded: a.runs.succeeded + b.runs.succeeded,
      partial: a.runs.partial + b.runs.partial,
      failed: a.runs.failed + b.runs.failed,
    },
    records: { synced: a.records.synced + b.records.synced, failed: a.records.failed + b.records.failed, skipped: a.records.skipped + b.records.skipped },
    failures: { infra: a.failures.infra + b.failures.infra, endpoint: a.failures.endpoint + b.failures.endpoint, data: a.failures.data + b.failures.data },
    failureCodes: codes,
  };
}
