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
 * later attempt, newest first, with their latest failure. Which records: their failures
 * since `from` (record_failures) against their last sync in the months since `from`'s
 * month (record_synced_monthly, migration 060). A sync before that month is older than
 * any failure since `from`, so it could not clear one; a record never synced since has no
 * row on the right and compares with 1970. Their failed attempts are then a primary-key
 * look-up in record_events (migration 075). (record_latest, read here before, is gone: migration 061.)
 */
export async function getFailingRecords(driver: Driver, q: { tenant: string; from: Date; limit: number }): Promise<FailingRecord[]> {
  return driver.query({
    name: 'status.failing_records',
    sql: `SELECT integration, record_id,
                 argMax((flow, connection, run, failure_category, failure_code, substringUTF8(message, 1, 500)), (ts, event_id)) AS f,
                 max(ts) AS failed_at
          FROM record_events
          WHERE tenant = {tenant:String} AND status = 'failed' AND ts >= {from:${T}}
            AND (record_id, integration) IN (
              SELECT record_id, integration
              FROM (
                SELECT record_key, any(record_id) AS record_id, toString(any(integration)) AS integration, max(ts) AS last_failed_at
                FROM record_failures
                WHERE tenant = {tenant:String} AND ts >= {from:${T}}
                GROUP BY record_key
              ) AS failed
              LEFT JOIN (
                SELECT record_key, max(last_synced_at) AS last_synced_at
                FROM record_synced_monthly
                WHERE tenant = {tenant:String} AND month >= toStartOfMonth({from:${T}})
                GROUP BY record_key
              ) AS synced USING (record_key)
              WHERE last_failed_at > last_synced_at
              ORDER BY last_failed_at DESC
              LIMIT {limit:UInt32})
          GROUP BY integration, record_id
          ORDER BY failed_at DESC, integration, record_id`,
    params: { tenant: q.tenant, from: toChTime(q.from.getTime()), limit: q.limit },
    schema: failingRow,
  });
}
