import { z } from 'zod';
import { toChTime, type Driver } from '../store/index.js';
import type { TimeRange } from './range.js';

const HOUR_MS = 3_600_000;

/** Records synced in a period and their value, per currency in integer micro-units. */
export interface Moved {
  records: number;
  /** Currency → value × 10⁶ (exact sums; records without a value are not here). */
  valueMicros: Map<string, number>;
}

const movedRow = z.object({
  integration: z.string(),
  currency: z.string(),
  records: z.coerce.number(),
  value_micros: z.coerce.number(),
});

/**
 * Splits a range into whole UTC hours (read from the hourly rollup) and the partial
 * hours at either end (read from raw events). When no whole hour fits, all of it is raw.
 */
export function splitHours(range: TimeRange): { from: number; wholeFrom: number; wholeTo: number; to: number } {
  const from = range.from.getTime();
  const to = range.to.getTime();
  const wholeFrom = Math.ceil(from / HOUR_MS) * HOUR_MS;
  const wholeTo = Math.floor(to / HOUR_MS) * HOUR_MS;
  if (wholeFrom >= wholeTo) return { from, wholeFrom: to, wholeTo: to, to };
  return { from, wholeFrom, wholeTo, to };
}

/**
 * Per integration, records synced in the period (one per `record.synced` event) and their
 * value per currency. Whole hours come from adoption_moved_hourly; the partial first and
 * last hour from raw events in activity_log (at most two hours of them), so any from/to
 * is exact.
 */
export async function getMoved(driver: Driver, q: { range: TimeRange; integration?: string }): Promise<Map<string, Moved>> {
  const h = splitHours(q.range);
  const filter = q.integration ? ' AND integration = {integration:String}' : '';
  const T = "DateTime64(3, 'UTC')";
  // activity_log is ordered by hour first: the two partial hours across every tenant are
  // two short ranges (in events, ordered by tenant first, they touch a granule per flow).
  const edge = (from: string, to: string) =>
    `(hour >= toStartOfHour({${from}:${T}}) AND hour < {${to}:${T}} AND ts >= {${from}:${T}} AND ts < {${to}:${T}})`;
  const raw =
    h.from < h.wholeFrom || h.wholeTo < h.to
      ? `UNION ALL
            SELECT integration, currency, count() AS records, sum(toInt64(round(record_value * 1000000))) AS value_micros
            FROM activity_log
            WHERE type = 'record.synced' AND (${edge('from', 'wholeFrom')} OR ${edge('wholeTo', 'to')})${filter}
            GROUP BY integration, currency`
      : '';
  const rows = await driver.query({
    name: 'adoption.moved',
    sql: `SELECT integration, currency, sum(records) AS records, sum(value_micros) AS value_micros
          FROM (
            SELECT integration, currency, sum(records) AS records, sum(value_micros) AS value_micros
            FROM adoption_moved_hourly
            WHERE hour >= {wholeFrom:${T}} AND hour < {wholeTo:${T}}${filter}
            GROUP BY integration, currency
            ${raw}
          )
          GROUP BY integration, currency`,
    params: {
      from: toChTime(h.from),
      wholeFrom: toChTime(h.wholeFrom),
      wholeTo: toChTime(h.wholeTo),
      to: toChTime(h.to),
      integration: q.integration ?? '',
    },
    schema: movedRow,
  });
  const out = new Map<string, Moved>();
  for (const r of rows) {
    const m = out.get(r.integration) ?? { records: 0, valueMicros: new Map<string, number>() };
    m.records += r.records;
    // currency is '' for records without a value: counted as moved, with no value.
    if (r.currency !== '') m.valueMicros.set(r.currency, (m.valueMicros.get(r.currency) ?? 0) + r.value_micros);
    out.set(r.integration, m);
  }
  return out;
}
