import { z } from 'zod';
import { badRequest } from '../errors.js';

/** A half-open time range [from, to). */
export interface TimeRange {
  from: Date;
  to: Date;
}

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const MAX_RANGE_MS = 400 * UNIT_MS.d;

/**
 * The dates the API answers for. ClickHouse's DateTime64 holds 1900 to 2299 and its
 * partitions are monthly, so a year like 0000 or 9999 is either refused by the engine (a
 * 5xx) or a scan of nothing; ingest accepts nothing before 2000 either.
 */
export const DATE_WINDOW = { from: Date.UTC(2000, 0, 1), to: Date.UTC(2100, 0, 1) } as const;

/** A 400 naming `name` unless `ms` lies within DATE_WINDOW. */
export function checkDate(name: string, ms: number): void {
  if (!(ms >= DATE_WINDOW.from && ms <= DATE_WINDOW.to)) {
    throw badRequest('invalid_parameter', `${name}: must be between 2000-01-01 and 2100-01-01`);
  }
}

/** The query parameters every insight endpoint takes for its time range. */
export const rangeParams = {
  from: z.iso.datetime({ offset: true, message: 'must be an ISO-8601 timestamp' }).optional(),
  to: z.iso.datetime({ offset: true, message: 'must be an ISO-8601 timestamp' }).optional(),
  window: z
    .string()
    .regex(/^\d{1,4}[mhd]$/, 'must be a number and a unit m, h or d, like 15m, 24h or 7d')
    .optional(),
};

/** Parses `15m` / `24h` / `7d` to milliseconds. */
export function windowMs(window: string): number {
  return Number(window.slice(0, -1)) * UNIT_MS[window.at(-1) as keyof typeof UNIT_MS];
}

/**
 * Resolves `from`/`to`/`window` to a range: `window` counts back from `to` (default now);
 * with neither `from` nor `window`, the default window. Bad combinations are a 400 naming the parameter.
 */
export function resolveRange(
  q: { from?: string; to?: string; window?: string },
  defaultWindowMs: number,
  now: number,
): TimeRange {
  if (q.from && q.window) throw badRequest('invalid_parameter', 'window: give either from or window, not both');
  const to = q.to ? Date.parse(q.to) : now;
  const from = q.from ? Date.parse(q.from) : to - (q.window ? windowMs(q.window) : defaultWindowMs);
  checkDate(q.to ? 'to' : 'now', to);
  checkDate(q.from ? 'from' : 'window', from);
  if (from >= to) throw badRequest('invalid_parameter', 'from: must be before to');
  if (to - from > MAX_RANGE_MS) throw badRequest('invalid_parameter', 'window: at most 400 days');
  return { from: new Date(from), to: new Date(to) };
}

/** The period of equal length just before a range (for "vs previous period"). */
export function previousRange(r: TimeRange): TimeRange {
  const len = r.to.getTime() - r.from.getTime();
  return { from: new Date(r.from.getTime() - len), to: new Date(r.from) };
}
