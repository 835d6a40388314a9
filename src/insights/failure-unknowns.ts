import { z } from 'zod';
import { fromChTime, toChTime, type Driver } from '../store/index.js';
import type { TimeRange } from './range.js';

/** A message that fell through every classification rule, with how often it did. */
export interface UnknownFailure {
  integration: string;
  message: string;
  failures: number;
  tenants: number;
  firstSeen: string;
  lastSeen: string;
}

const row = z
  .object({
    integration: z.string(),
    message: z.string(),
    failures: z.coerce.number(),
    tenants: z.coerce.number(),
    first_seen: z.string(),
    last_seen: z.string(),
  })
  .transform((r): UnknownFailure => ({
    integration: r.integration,
    message: r.message,
    failures: r.failures,
    tenants: r.tenants,
    firstSeen: fromChTime(r.first_seen),
    lastSeen: fromChTime(r.last_seen),
  }));

/**
 * The infra · unknown failures of a window grouped by integration and message, most
 * frequent first: the list an operator works through to add classification rules. Read
 * from failure_log (failures only, ordered by hour), so a day's window is a small range.
 */
export function getUnknownFailures(
  driver: Driver,
  q: { range: TimeRange; tenant?: string; integration?: string; limit?: number },
): Promise<UnknownFailure[]> {
  const T = "DateTime64(3, 'UTC')";
  const where = [
    "failure_category = 'infra'",
    "failure_code = 'unknown'",
    `hour >= toStartOfHour({from:${T}})`,
    `hour < {to:${T}}`,
    `ts >= {from:${T}}`,
    `ts < {to:${T}}`,
  ];
  if (q.tenant) where.push('tenant = {tenant:String}');
  if (q.integration) where.push('integration = {integration:String}');
  return driver.query({
    name: 'failures.unknown',
    sql: `SELECT integration, message, count() AS failures, uniqExact(tenant) AS tenants,
                 min(ts) AS first_seen, max(ts) AS last_seen
          FROM failure_log
          WHERE ${where.join(' AND ')}
          GROUP BY integration, message
          ORDER BY failures DESC, last_seen DESC, integration, message
          LIMIT {limit:UInt32}`,
    params: {
      from: toChTime(q.range.from.getTime()),
      to: toChTime(q.range.to.getTime()),
      tenant: q.tenant ?? '',
      integration: q.integration ?? '',
      limit: q.limit ?? 20,
    },
    schema: row,
  });
}
