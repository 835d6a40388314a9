import { toChTime } from '../store/index.js';
import type { TimeRange } from './window.js';

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

/** SQL condition on raw rows' `ts`: inside the head or the tail of a split range. */
export const RAW_EDGES_SQL = `((ts >= {headFrom:${T}} AND ts < {headTo:${T}})
     OR (ts >= {tailFrom:${T}} AND ts < {tailTo:${T}}))`;

/**
 * {@link RAW_EDGES_SQL} for a table whose key starts with the hour of `ts` (`hourColumn`):
 * the same rows, with conditions on the hour so the key narrows the read to those hours.
 */
export function rawEdgesByHourSql(hourColumn: string): string {
  const part = (from: string, to: string) =>
    `(${hourColumn} >= toStartOfHour({${from}:${T}}) AND ${hourColumn} < {${to}:${T}} AND ts >= {${from}:${T}} AND ts < {${to}:${T}})`;
  return `(${part('headFrom', 'headTo')} OR ${part('tailFrom', 'tailTo')})`;
}

/** SQL condition on a rollup's bucket column: inside the body of a split range. */
export function rollupBodySql(column: string, unit: RollupUnit): string {
  const type = unit === 'day' ? 'Date' : "DateTime64(3, 'UTC')";
  return `${column} >= {bodyFrom:${type}} AND ${column} < {bodyTo:${type}}`;
}

/** The bound parameters of {@link RAW_EDGES_SQL} and {@link rollupBodySql} for a range. */
export function splitParams(r: TimeRange, unit: RollupUnit): Record<string, string> {
  const { head, body, tail } = splitRange(r, unit);
  const bucket = (d: Date) => (unit === 'day' ? d.toISOString().slice(0, 10) : toChTime(d.getTime()));
  return {
    headFrom: toChTime(head.from.getTime()),
    headTo: toChTime(head.to.getTime()),
    bodyFrom: bucket(body.from),
    bodyTo: bucket(body.to),
    tailFrom: toChTime(tail.from.getTime()),
    tailTo: toChTime(tail.to.getTime()),
  };
}
