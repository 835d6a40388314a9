import { z } from 'zod';
import type { Driver } from './driver.js';
import { fromChTime } from './time.js';

const attemptRow = z
  .object({
    ts: z.string(),
    integration: z.string(),
    connection: z.string(),
    flow: z.string(),
    run: z.string(),
    status: z.enum(['synced', 'failed', 'skipped']),
    record_type: z.string(),
    record_value: z.number(),
    has_value: z.coerce.number(),
    currency: z.string(),
    failure_category: z.string(),
    failure_code: z.string(),
    message: z.string(),
  })
  .transform((r) => ({
    time: fromChTime(r.ts),
    integration: r.integration,
    connection: r.connection || null,
    flow: r.flow,
    run: r.run || null,
    status: r.status,
    recordType: r.record_type || null,
    value: r.has_value ? r.record_value : null,
    currency: r.has_value ? r.currency : null,
    failure: r.failure_category ? { category: r.failure_category, code: r.failure_code, message: r.message } : null,
    reason: r.status === 'skipped' ? r.message : null,
  }));

/** One attempt to move a record, as the API returns it. */
export type RecordAttempt = z.infer<typeof attemptRow>;

/** Every attempt to move one record of a tenant, oldest first. */
export async function getRecordAttempts(
  driver: Driver,
  q: { tenant: string; recordId: string; integration?: string; limit?: number },
): Promise<RecordAttempt[]> {
  const where = ['tenant = {tenant:String}', 'record_id = {recordId:String}'];
  if (q.integration) where.push('integration = {integration:String}');
  return driver.query({
    name: 'records.attempts',
    sql: `SELECT ts, integration, connection, flow, run, status, record_type, record_value, has_value, currency,
                 failure_category, failure_code, message
          FROM record_attempts FINAL
          WHERE ${where.join(' AND ')}
          ORDER BY ts, event_id
          LIMIT {limit:UInt32}`,
    params: { tenant: q.tenant, recordId: q.recordId, integration: q.integration ?? '', limit: q.limit ?? 1000 },
    schema: attemptRow,
  });
}
