import { z } from 'zod';
import { fromChTime, toChTime, type Driver } from '../store/index.js';

/** A record of a tenant whose latest attempt failed: nothing has synced it since. */
export interface FailingRecord {
  record_id: string;
  integration: string;
  connection: string | null;
  flow: string;
  run: string | null;
  category: string;
  code: string;
  message: string;
  /** When it last failed (ISO). */
  failed_at: string;
}

const T = "DateTime64(3, 'UTC')";

const failingRow = z
  .object({
    integration: z.string(),
    record_id: z.string(),
    f: z.tuple([z.string(), z.string(), z.string(), z.string(), z.string(), z.string()]),
    failed_at: z.string(),
  })
  .transform(
    (r): FailingRecord => ({
      record_id: r.record_id,
      integration: r.integration,
      flow: r.f[0],
      connection: r.f[1] || null,
      run: r.f[2] || null,
      category: r.f[3],
      code: r.f[4],
      message: r.f[5],
      failed_at: fromChTime(r.failed_at),
    }),
  );

/**
 * The most recent records of a tenant that failed since `from` and were not synced by a
 * later attempt, newest first, with their latest failure. record_latest (one row per
 * record, read with FINAL in key order — a tenant is one key range) picks which records;
 * their failed attempts are then a primary-key look-up in record_attempts. Filters on the
 * FINAL read must not become PREWHERE (see migration 010).
 */
export async function getFailingRecords(driver: Driver, q: { tenant: string; from: Date; limit: number }): Promise<FailingRecord[]> {
  return driver.query({
    name: 'status.failing_records',
    sql: `SELECT integration, record_id,
                 argMax((flow, connection, run, failure_category, failure_code, substringUTF8(message, 1, 500)), (ts, event_id)) AS f,
                 max(ts) AS failed_at
          FROM record_attempts
          WHERE tenant = {tenant:String} AND status = 'failed' AND ts >= {from:${T}}
            AND (record_id, integration) IN (
              SELECT record_id, integration
              FROM record_latest FINAL
              WHERE tenant = {tenant:String} AND last_failed_at >= {from:${T}} AND last_failed_at > last_synced_at
              ORDER BY last_failed_at DESC
              LIMIT {limit:UInt32})
          GROUP BY integration, record_id
          ORDER BY failed_at DESC, integration, record_id
          SETTINGS optimize_move_to_prewhere_if_final = 0`,
    params: { tenant: q.tenant, from: toChTime(q.from.getTime()), limit: q.limit },
    schema: failingRow,
  });
}
