import { z } from 'zod';
import { fromChTime, toChTime, type Driver } from '../store/index.js';
import { and, flowParams, flowWhere, type FlowFilter } from './health-stats.js';
import type { TimeRange } from './range.js';

/** How a run ended (docs/api/runs.md). */
export type { RunOutcome } from '../vocabulary/index.js';
import type { RunOutcome } from '../vocabulary/index.js';

/** A finished run's outcome: a success with failed records is `partial`. */
export const outcomeOf = (ended: string, recordsFailed: number): RunOutcome =>
  ended === 'failed' ? 'failed' : recordsFailed > 0 ? 'partial' : 'succeeded';

/** One run as the API returns it. */
export interface RunSummary {
  run: string;
  tenant: string;
  integration: string;
  connection: string | null;
  flow: string;
  started_at: string;
  ended_at: string | null;
  duration_ms: number | null;
  /**
   * `running` until a run.succeeded / run.failed arrives; `partial` for a run that
   * finished without failing but with failed records; `succeeded` only for a clean run.
   */
  outcome: RunOutcome;
  records_total: number;
  records: { synced: number; failed: number; skipped: number };
  failures: { infra: number; endpoint: number; data: number };
  /** Why the run failed, from its run.failed event. */
  failure: { category: string; code: string; message: string } | null;
  /** First and last event of the run (narrows look-ups of its records). */
  first_seen_at: string;
  last_seen_at: string;
}

const count = z.coerce.number();
const time = z.string().transform(fromChTime);

const runRow = z
  .object({
    tenant: z.string(),
    run: z.string(),
    integration: z.string(),
    connection: z.string(),
    flow: z.string(),
    first_seen: time,
    last_seen: time,
    started: time,
    ended: time.nullable(),
    outcome: z.tuple([z.string(), z.string(), z.string(), z.string()]),
    records_total: count,
    records_synced: count,
    records_failed: count,
    records_skipped: count,
    failures_infra: count,
    failures_endpoint: count,
    failures_data: count,
  })
  .transform((r): RunSummary => {
    const [outcome, category, code, message] = r.outcome;
    const ended = r.ended !== null && outcome !== '';
    return {
      run: r.run,
      tenant: r.tenant,
      integration: r.integration,
      connection: r.connection || null,
      flow: r.flow,
      started_at: r.started,
      ended_at: ended ? r.ended : null,
      duration_ms: ended ? Math.max(0, Date.parse(r.ended!) - Date.parse(r.started)) : null,
      outcome: !ended ? 'running' : outcomeOf(outcome, r.records_failed),
      records_total: r.records_total,
      records: { synced: r.records_synced, failed: r.records_failed, skipped: r.records_skipped },
      failures: { infra: r.failures_infra, endpoint: r.failures_endpoint, data: r.failures_data },
      failure: ended && outcome === 'failed' && category ? { category, code, message } : null,
      first_seen_at: r.first_seen,
      last_seen_at: r.last_seen,
    };
  });

// Merges the partial rows of each run (AggregatingMergeTree merges are eventual). A run
// starts at its run.started event, or at its first event when it sent none.
const RUN_COLUMNS = `
  tenant, run, integration, connection, flow,
  min(first_seen_at) AS first_seen, max(last_seen_at) AS last_seen,
  ifNull(min(started_at), min(first_seen_at)) AS started,
  max(ended_at) AS ended,
  argMaxIfMerge(outcome) AS outcome,
  max(records_total) AS records_total,
  sum(records_synced) AS records_synced, sum(records_failed) AS records_failed, sum(records_skipped) AS records_skipped,
  sum(failures_infra) AS failures_infra, sum(failures_endpoint) AS failures_endpoint, sum(failures_data) AS failures_data`;
const RUN_KEY = 'tenant, run, integration, connection, flow';
const T = "DateTime64(3, 'UTC')";

/** What to list: a flow filter, a window on the runs' start, and how many. */
export interface RunsQuery extends FlowFilter {
  range: TimeRange;
  limit: number;
}

const ORDER = 'started DESC, run DESC, tenant, integration, connection, flow';
const topRow = z.object({ tenant: z.string(), run: z.string() });

/**
 * Runs that started in the window, newest first, in two steps. Merging the outcome
 * state is what costs, so the first step ranks runs on cheap columns only — reading just
 * the rows with an event since `from` (monthly partitions on last_seen_at prune the
 * rest) — and the second reads the full summary of the top runs by (tenant, run).
 * Rows of a run with no event since `from` cannot change a start inside the window, so
 * the first step's start is exact for every run that belongs in the answer; a run it
 * over-ranks (an older run.started in a row it skipped) is dropped by the second step,
 * and the first step is then repeated with a larger limit.
 */
export async function listRuns(driver: Driver, q: RunsQuery): Promise<RunSummary[]> {
  const where = flowWhere(q);
  const window = `started >= {from:${T}} AND started < {to:${T}}`;
  const params = { ...flowParams(q), from: toChTime(q.range.from.getTime()), to: toChTime(q.range.to.getTime()) };
  for (let limit = q.limit; ; limit *= 4) {
    const top = await driver.query({
      name: 'runs.list_top',
      sql: `SELECT tenant, run, ifNull(min(started_at), min(first_seen_at)) AS started
            FROM runs
            WHERE ${and([...where, `last_seen_at >= {from:${T}}`])}
            GROUP BY ${RUN_KEY}
            HAVING ${window}
            ORDER BY ${ORDER}
            LIMIT {limit:UInt32}`,
      params: { ...params, limit },
      schema: topRow,
    });
    if (top.length === 0) return [];
    const chosen = new Set(top.map((r) => `${r.tenant}\u0000${r.run}`));
    const rows = await driver.query({
      name: 'runs.list',
      sql: `SELECT ${RUN_COLUMNS}
            FROM runs
            WHERE ${and([...where, 'tenant IN {tenants:Array(String)}', 'run IN {runs:Array(String)}'])}
            GROUP BY ${RUN_KEY}
            HAVING ${window}
            ORDER BY ${ORDER}`,
      params: { ...params, tenants: [...new Set(top.map((r) => r.tenant))], runs: [...new Set(top.map((r) => r.run))] },
      schema: runRow,
    });
    const runs = rows.filter((r) => chosen.has(`${r.tenant}\u0000${r.run}`)).slice(0, q.limit);
    if (runs.length >= q.limit || top.length < limit) return runs;
  }
}

/** One run of a tenant (normally one row; more only if the same run id was used by several flows). */
export async function getRun(driver: Driver, tenant: string, run: string): Promise<RunSummary[]> {
  return driver.query({
    name: 'runs.get',
    sql: `SELECT ${RUN_COLUMNS}
          FROM runs
          WHERE tenant = {tenant:String} AND run = {run:String}
          GROUP BY ${RUN_KEY}
          ORDER BY ${ORDER}`,
    params: { tenant, run },
    schema: runRow,
  });
}
