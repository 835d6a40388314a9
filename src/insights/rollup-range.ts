import { toChTime } from '../store/index.js';
import type { TimeRange } from './range.js';

/** The bucket sizes rollups are kept in (UTC-aligned, so whole buckets are epoch multiples). */
export type RollupUnit = 'hour' | 'day';

/** Milliseconds in one bucket of each unit. */
export const UNIT_MS: Record<RollupUnit, number> = { hour: 3_600_000, day: 86_400_000 };

/**
 * A range cut where rollup buckets begin and end: `body` is the whole buckets inside it
 * (read from the rollup), `head` and `tail` the partial buckets at its edges (read from
 * raw rows). Any part may be empty (from = to). Together they cover the range exactly
 * once, which is what makes a windowed figure equal a recomputation from raw rows.
 */
export function splitRange(r: TimeRange, unit: RollupUnit): { head: TimeRange; body: TimeRange; tail: TimeRange } {
  const from = r.from.getTime();
  const to = r.to.getTime();
  const u = UNIT_MS[unit];
  const bodyFrom = Math.ceil(from / u) * u;
  const bodyTo = Math.floor(to / u) * u;
  const at = (ms: number): TimeRange => ({ from: new Date(ms), to: new Date(ms) });
  if (bodyFrom >= bodyTo) return { head: r, body: at(to), tail: at(to) };
  return {
    head: { from: r.from, to: new Date(bodyFrom) },
    body: { from: new Date(bodyFrom), to: new Date(bodyTo) },
    tail: { from: new Date(bodyTo), to: r.to },
  };
}

const T = "DateTime64(3, 'UTC')";

// Every helper below takes a `suffix` for its parameter names (`headFrom1`, …), so one
// query can cut several ranges (a period and the one before it) and bind them all.

/** SQL condition on raw rows' `ts`: inside the head or the tail of a split range. */
export function rawEdgesSql(suffix = ''): string {
  return `((ts >= {headFrom${suffix}:${T}} AND ts < {headTo${suffix}:${T}})
     OR (ts >= {tailFrom${suffix}:${T}} AND ts < {tailTo${suffix}:${T}}))`;
}

/** Whether a range has partial buckets at its edges, i.e. whether raw rows must be read at all. */
export function hasEdges(r: TimeRange, unit: RollupUnit): boolean {
  const { head, tail } = splitRange(r, unit);
  return head.from.getTime() < head.to.getTime() || tail.from.getTime() < tail.to.getTime();
}

/**
 * {@link rawEdgesSql} for a table whose key starts with the hour of `ts` (`hourColumn`):
 * the same rows, with conditions on the hour so the key narrows the read to those hours.
 */
export function rawEdgesByHourSql(hourColumn: string, suffix = ''): string {
  const part = (from: string, to: string) =>
    `(${hourColumn} >= toStartOfHour({${from}${suffix}:${T}}) AND ${hourColumn} < {${to}${suffix}:${T}} AND ts >= {${from}${suffix}:${T}} AND ts < {${to}${suffix}:${T}})`;
  return `(${part('headFrom', 'headTo')} OR ${part('tailFrom', 'tailTo')})`;
}

/** SQL condition on a rollup's bucket column: inside the body of a split range. */
export function rollupBodySql(column: string, unit: RollupUnit, suffix = ''): string {
  const type = unit === 'day' ? 'Date' : "DateTime64(3, 'UTC')";
  return `${column} >= {bodyFrom${suffix}:${type}} AND ${column} < {bodyTo${suffix}:${type}}`;
}

/** The bound parameters of {@link rawEdgesSql} and {@link rollupBodySql} for a range. */
export function splitParams(r: TimeRange, unit: RollupUnit, suffix = ''): Record<string, string> {
  const { head, body, tail } = splitRange(r, unit);
  const bucket = (d: Date) => (unit === 'day' ? d.toISOString().slice(0, 10) : toChTime(d.getTime()));
  return {
    [`headFrom${suffix}`]: toChTime(head.from.getTime()),
    [`headTo${suffix}`]: toChTime(head.to.getTime()),
    [`bodyFrom${suffix}`]: bucket(body.from),
    [`bodyTo${suffix}`]: bucket(body.to),
    [`tailFrom${suffix}`]: toChTime(tail.from.getTime()),
    [`tailTo${suffix}`]: toChTime(tail.to.getTime()),
  };
}
