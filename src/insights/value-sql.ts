import { z } from 'zod';
import type { Driver } from '../store/index.js';
import { hasEdges, rawEdgesSql, rollupBodySql, splitParams } from './rollup-range.js';
import { and, filterParams, filterSql, MONEY_SQL, type ValueFilter } from './value-filter.js';
import type { TimeRange } from './range.js';

export type { ValueFilter } from './value-filter.js';
// Value at risk lives in its own module; alerts import it from here.
export { queryAtRisk, type AtRiskRow } from './value-at-risk.js';

const movedRow = z
  .object({
    p: z.coerce.number(),
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
    period: r.p,
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
export type MovedRow = Omit<z.output<typeof movedRow>, 'period'>;

/** One period to read money moved for; `byDay` keeps its rows per UTC day. */
export interface MovedPeriod {
  range: TimeRange;
  byDay: boolean;
}

/**
 * Record outcomes and money synced over each period, per integration, flow, record type
 * and currency (and per UTC day for a period with `byDay`): whole days from value_stats,
 * the partial days at the periods' edges from events (not read at all when every period
 * is whole days). One query for all periods: on the embedded engine a query costs a few
 * milliseconds of planning however little it reads. Returns one row list per period.
 */
export async function queryMoved(driver: Driver, f: ValueFilter, periods: readonly MovedPeriod[]): Promise<MovedRow[][]> {
  const where = filterSql(f);
  const idx = periods.map((_, i) => i);
  const periodOf = (cond: (i: number) => string) => `multiIf(${idx.map((i) => `${cond(i)}, ${i}`).join(', ')}, -1)`;
  const bodies = (i: number) => `(${rollupBodySql('day', 'day', String(i))})`;
  const withEdges = idx.filter((i) => hasEdges(periods[i].range, 'day'));
  const edges = (i: number) => rawEdgesSql(String(i));
  const byDay = idx.filter((i) => periods[i].byDay);
  const day = byDay.length ? `if(p IN (${byDay.join(', ')}), day, toDate(0))` : 'toDate(0)';
  const raw = withEdges.length
    ? `UNION ALL
            SELECT ${periodOf(edges)} AS p, integration, flow, record_type, currency, toDate(ts) AS day,
                   countIf(type = 'record.synced') AS synced,
                   sumIf(${MONEY_SQL('record_value')}, type = 'record.synced') AS synced_value,
                   countIf(type = 'record.failed') AS failed,
                   countIf(type = 'record.skipped') AS skipped
            FROM events
            WHERE ${and([...where, "type IN ('record.synced', 'record.failed', 'record.skipped')", `(${withEdges.map(edges).join(' OR ')})`])}
            GROUP BY p, integration, flow, record_type, currency, day`
    : '';
  const rows = await driver.query({
    name: 'value.moved',
    sql: `SELECT p, integration, flow, record_type, currency, toString(${day}) AS day,
                 sum(synced) AS synced, toString(sum(synced_value)) AS synced_value,
                 sum(failed) AS failed, sum(skipped) AS skipped
          FROM (
            SELECT ${periodOf(bodies)} AS p, integration, flow, record_type, currency, day, synced, synced_value, failed, skipped
            FROM value_stats
            WHERE ${and([...where, `(${idx.map(bodies).join(' OR ')})`])}
            ${raw}
          )
          GROUP BY p, integration, flow, record_type, currency, day
          ORDER BY p, integration, flow, record_type, currency, day`,
    params: { ...filterParams(f), ...Object.assign({}, ...periods.map((q, i) => splitParams(q.range, 'day', String(i)))) },
    schema: movedRow,
  });
  const out: MovedRow[][] = periods.map(() => []);
  for (const { period, ...r } of rows) out[period]?.push(r);
  return out;
}
