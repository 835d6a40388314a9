import { z } from 'zod';
import { badRequest } from '../errors.js';
import { ident } from '../ingest/index.js';
import { checkDate, type TimeRange } from '../insights/index.js';

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const MAX_RANGE_MS = 400 * UNIT_MS.d;

/** The query parameters every insight endpoint takes for its time range. */
export const rangeParams = {
  from: z.iso.datetime({ offset: true, message: 'must be an ISO-8601 timestamp' }).optional(),
  to: z.iso.datetime({ offset: true, message: 'must be an ISO-8601 timestamp' }).optional(),
  window: z
    .string()
    .regex(/^\d{1,4}[mhd]$/, 'must be a number and a unit m, h or d, like 15m, 24h or 7d')
    .optional(),
};

/**
 * The scope filters the insight endpoints take, validated as ingest validates the ids it stores:
 * an id ingest would refuse can match nothing, so it is a 400 naming the parameter, not an empty answer.
 */
export const scopeParams = {
  tenant: ident.optional(),
  integration: ident.optional(),
  flow: ident.optional(),
};

/**
 * The one query schema of the insight endpoints (health, runs, failures, unknown failures, value,
 * adoption): a time range and a scope. Each route picks or extends it rather than spelling its own.
 * Strict: a parameter the endpoint does not take is a 400 naming it, not silently ignored — a
 * figure answered for a different period or scope than the caller asked for is a wrong figure.
 */
export const insightQuery = z.strictObject({ ...rangeParams, ...scopeParams });

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
