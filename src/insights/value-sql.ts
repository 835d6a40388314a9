import { z } from 'zod';
import { toChTime, type Driver } from '../store/index.js';
import { RAW_EDGES_SQL, rollupBodySql, splitParams } from './rollup-range.js';
import type { TimeRange } from './window.js';

/** Which records to value; every field is an optional equality filter. */
export interface ValueFilter {
  tenant?: string;
  integration?: string;
  flow?: string;
}

/**
 * A record's value as exact decimal, the same expression the value_stats view uses
 * (migration 009): values beyond ±1e18 count as 0 rather than failing an insert.
 */
const MONEY_SQL = (column: string) => `toDecimal128(if(abs(${column}) < 1e18, ${column}, 0), 6)`;

function filterSql(f: ValueFilter, flowColumn: string | null = 'flow'): string[] {
  const where: string[] = [];
  if (f.tenant) where.push('tenant = {tenant:String}');
  if (f.integration) where.push('integration = {integration:String}');
  if (f.flow && flowColumn) where.push(`${flowColumn} = {flow:String}`);
  return where;
}

const filterParams = (f: ValueFilter) => ({ tenant: f.tenant ?? '', integration: f.integration ?? '', flow: f.flow ?? '' });

const and = (parts: string[]) => (parts.length ? parts.join(' AND ') : '1');

const movedRow = z
  .object({
    integration: z.string(),
    flow: z.string(),
    record_type: z.string(),
    currency: z.string(),
    day: z.string(),
    synced: z.coerce.number(),
    synced_value: z.string(),
    failed: z.coerce.number(),
    skipped: z.coerce.number(),
  })
  .transform((r) => ({
    integration: r.integration,
    flow: r.flow,
    recordType: r.record_type,
    currency: r.currency,
    day: r.day,
    synced: r.synced,
    /** Exact decimal text of the money synced (summed as Decimal128 in the store). */
    syncedValue: r.synced_value,
    failed: r.failed,
    skipped: r.skipped,
  }));

/** Record outcomes and money of one (integration, flow, record type, currency[, day]). */
export type MovedRow = z.output<typeof movedRow>;

/**
 * Record outcomes and money synced over a range, per integration, flow, record type and
 * currency (and per UTC day when `byDay`): whole days from value_stats, the partial days
 * at the range's edges from events.
 */
export function queryMoved(driver: Driver, f: ValueFilter, range: TimeRange, byDay: boolean): Promise<MovedRow[]> {
  const where = filterSql(f);
  const day = byDay ? 'day' : "toDate('1970-01-01')";
  return driver.query({
    name: 'value.moved',
    sql: `SELECT integration, flow, record_type, currency, toString(${day}) AS day,
                 sum(synced) AS synced, toString(sum(synced_value)) AS synced_value,
                 sum(failed) AS failed, sum(skipped) AS skipped
          FROM (
            SELECT integration, flow, record_type, currency, day, synced, synced_value, failed, skipped
            FROM value_stats
            WHERE ${and([...where, rollupBodySql('day', 'day')])}
            UNION ALL
            SELECT integration, flow, record_type, currency, toDate(ts) AS day,
                   countIf(type = 'record.synced') AS synced,
                   sumIf(${MONEY_SQL('record_value')}, type = 'record.synced') AS synced_value,
                   countIf(type = 'record.failed') AS failed,
                   countIf(type = 'record.skipped') AS skipped
            FROM events
            WHERE ${and([...where, "type IN ('record.synced', 'record.failed', 'record.skipped')", RAW_EDGES_SQL])}
            GROUP BY integration, flow, record_type, currency, day
          )
          GROUP BY integration, flow, record_type, currency, day
          ORDER BY integration, flow, record_type, currency, day`,
    params: { ...filterParams(f), ...splitParams(range, 'day') },
    schema: movedRow,
  });
}

const atRiskRow = z
  .object({ integration: z.string(), flow: z.string(), currency: z.string(), records: z.coerce.number(), value: z.string() })
  .transform((r) => ({ integration: r.integration, flow: r.flow, currency: r.currency, records: r.records, value: r.value }));

/** Records at risk (and their money, exact decimal text) of one (integration, flow, currency). */
export type AtRiskRow = z.output<typeof atRiskRow>;

/**
 * Records whose latest attempt before `asOf` failed (failed, not synced since), with the
 * value of that failed attempt, per integration, flow (of the failure) and currency.
 * A record whose last attempt is before `asOf` and whose last failure is strictly newer
 * than its last sync is answered by record_latest alone (its last_failure holds flow,
 * currency and value). Records touched at or after `asOf` that had failed by then, and
 * same-millisecond failure/sync ties, are settled from their attempts before `asOf` in
 * record_attempts (a primary-key look-up), by event time then event id. With `asOf` = now
 * that second set is normally empty. record_latest is read with FINAL (a merge in key
 * order, far cheaper than GROUP BY over every record); its filters must then run after
 * the merge, so they must never become PREWHERE.
 */
export function queryAtRisk(driver: Driver, f: ValueFilter, asOf: Date): Promise<AtRiskRow[]> {
  const where = filterSql(f, null);
  const flowFilter = f.flow ? 'WHERE flow = {flow:String}' : '';
  const AS_OF = "{asOf:DateTime64(3, 'UTC')}";
  return driver.query({
    name: 'value.at_risk',
    sql: `SELECT integration, flow, currency, count() AS records, toString(sum(${MONEY_SQL('value')})) AS value
          FROM (
            SELECT integration, failure[-4] AS flow, if(failure[-2] = '1', failure[-3], '') AS currency,
                   toFloat64(failure[-1]) AS value
            FROM (
              SELECT integration, splitByChar('\\0', last_failure) AS failure
              FROM record_latest FINAL
              WHERE ${and([...where, `last_failed_at < ${AS_OF}`, 'last_failed_at > last_synced_at'])}
            )
            UNION ALL
            SELECT integration, o.2 AS flow, if(o.4 = 1, o.5, '') AS currency, o.3 AS value
            FROM (
              SELECT tenant, integration, record_id,
                     argMax((status, flow, record_value, has_value, currency), (ts, event_id)) AS o
              FROM record_attempts
              WHERE ${and([...where, "status IN ('synced', 'failed')", `ts < ${AS_OF}`])}
                AND (tenant, record_id, integration) IN (
                  SELECT tenant, record_id, integration
                  FROM record_latest FINAL
                  WHERE ${and([
                    ...where,
                    `first_failed_at < ${AS_OF}`,
                    `(greatest(last_failed_at, last_synced_at) >= ${AS_OF} OR last_failed_at = last_synced_at)`,
                  ])})
              GROUP BY tenant, integration, record_id
            )
            WHERE o.1 = 'failed'
          )
          ${flowFilter}
          GROUP BY integration, flow, currency
          ORDER BY integration, flow, currency
          SETTINGS optimize_move_to_prewhere_if_final = 0`,
    params: { ...filterParams(f), asOf: toChTime(asOf.getTime()) },
    schema: atRiskRow,
  });
}
