import { z } from 'zod';
import { fromChTime, toChTime, type Driver } from '../store/index.js';
import { getRun, type RunSummary } from './runs.js';

/** One record attempt of a run, by business identifier, with why it failed or was skipped. */
export interface ReportRecord {
  record_id: string;
  record_type: string | null;
  status: 'synced' | 'failed' | 'skipped';
  time: string;
  value: number | null;
  currency: string | null;
  /** `retryable`: whether waiting and retrying can help (from the classification rule). */
  failure: { category: string; code: string; message: string; retryable: boolean } | null;
  /** Why a skipped record was skipped. */
  skip_reason: string | null;
  /** For a failed record: whether a later attempt (in this run or a later one) synced it. */
  resolved_by_later_sync: boolean | null;
}

/** The run/import report: the run's summary and every record it moved, failed or skipped. */
export interface RunReport {
  run: RunSummary;
  records: ReportRecord[];
  /** True when the run has more record attempts than the limit; the first `limit` are listed. */
  truncated: boolean;
}

const attemptRow = z
  .object({
    ts: z.string(),
    record_id: z.string(),
    record_type: z.string(),
    status: z.enum(['synced', 'failed', 'skipped']),
    record_value: z.number(),
    has_value: z.coerce.number(),
    currency: z.string(),
    failure_category: z.string(),
    failure_code: z.string(),
    failure_retryable: z.coerce.number(),
    message: z.string(),
  })
  .transform((r): ReportRecord & { ms: number } => ({
    record_id: r.record_id,
    record_type: r.record_type || null,
    status: r.status,
    time: fromChTime(r.ts),
    value: r.has_value ? r.record_value : null,
    currency: r.has_value ? r.currency : null,
    failure: r.status === 'failed' ? { category: r.failure_category, code: r.failure_code, message: r.message, retryable: r.failure_retryable === 1 } : null,
    skip_reason: r.status === 'skipped' ? r.message : null,
    resolved_by_later_sync: null,
    ms: Date.parse(fromChTime(r.ts)),
  }));

const syncedRow = z.object({ record_id: z.string(), last_synced: z.string().transform((s) => Date.parse(fromChTime(s))) });

const T = "DateTime64(3, 'UTC')";
/** Upper bound of records in one report response (memory stays bounded). */
export const MAX_REPORT_RECORDS = 100_000;

/**
 * The report of one run of a tenant, or null when the tenant has no such run. Records
 * are read from events in the run's own time span (a primary-key range plus the run
 * bloom filter), oldest first (records of the same millisecond by id, so the order does not
 * depend on how their event ids were made); failed ones say whether a later attempt synced them.
 */
export async function getRunReport(driver: Driver, q: { tenant: string; run: string; limit: number }): Promise<RunReport | null> {
  const summaries = await getRun(driver, q.tenant, q.run);
  if (summaries.length === 0) return null;
  const run = summaries[0];
  const limit = Math.min(q.limit, MAX_REPORT_RECORDS);
  const rows = await driver.query({
    name: 'runs.report_records',
    sql: `SELECT ts, record_id, record_type, replaceOne(type, 'record.', '') AS status, record_value, has_value, currency,
                 failure_category, failure_code, failure_retryable, message
          FROM events
          WHERE tenant = {tenant:String} AND integration = {integration:String} AND flow = {flow:String}
            AND connection = {connection:String} AND run = {run:String}
            AND ts >= {first:${T}} AND ts <= {last:${T}}
            AND type IN ('record.synced', 'record.failed', 'record.skipped')
          ORDER BY ts, record_id, event_id
          LIMIT 1 BY event_id
          LIMIT {limit:UInt32}`,
    params: {
      tenant: run.tenant,
      integration: run.integration,
      flow: run.flow,
      connection: run.connection ?? '',
      run: run.run,
      first: toChTime(Date.parse(run.first_seen_at)),
      last: toChTime(Date.parse(run.last_seen_at)),
      limit: limit + 1,
    },
    schema: attemptRow,
  });
  const truncated = rows.length > limit;
  const records = rows.slice(0, limit);

  const failedIds = [...new Set(records.filter((r) => r.status === 'failed').map((r) => r.record_id))];
  if (failedIds.length > 0) {
    const synced = await driver.query({
      name: 'runs.report_later_syncs',
      sql: `SELECT record_id, max(ts) AS last_synced
            FROM record_events
            WHERE tenant = {tenant:String} AND record_id IN {ids:Array(String)} AND integration = {integration:String}
              AND status = 'synced'
            GROUP BY record_id`,
      params: { tenant: run.tenant, ids: failedIds, integration: run.integration },
      schema: syncedRow,
    });
    const lastSynced = new Map(synced.map((s) => [s.record_id, s.last_synced]));
    for (const r of records) {
      if (r.status === 'failed') r.resolved_by_later_sync = (lastSynced.get(r.record_id) ?? -Infinity) > r.ms;
    }
  }
  return { run, records: records.map(({ ms: _ms, ...r }) => r), truncated };
}
