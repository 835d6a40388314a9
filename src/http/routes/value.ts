import type { Clock } from '../../clock.js';
import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import type { ValueSettings } from '../../config.js';
import { badRequest } from '../../errors.js';
import { getValue, VALUE_GROUPINGS, type TimeRange } from '../../insights/index.js';
import { resolvePeriod } from '../../reports/index.js';
import { insightQuery, resolveRange } from '../query.js';
import type { Driver } from '../../store/index.js';
import { readableTenant } from '../auth.js';
import { parseQuery } from '../validate.js';

const DEFAULT_WINDOW_MS = 30 * 86_400_000;

export const valueQuery = insightQuery.extend({
  group_by: z.enum(VALUE_GROUPINGS, { message: `must be one of ${VALUE_GROUPINGS.join(', ')}` }).optional(),
  period: z.string().max(32).optional(),
});

/** `period` names a calendar month or ISO week; otherwise from/to/window as every insight endpoint. */
function valueRange(q: { from?: string; to?: string; window?: string; period?: string }, now: number): TimeRange {
  if (q.period === undefined) return resolveRange(q, DEFAULT_WINDOW_MS, now);
  if (q.from !== undefined || q.to !== undefined || q.window !== undefined) {
    throw badRequest('invalid_parameter', 'period: give either period or from/to/window, not both');
  }
  const { from, to } = resolvePeriod({ period: q.period }, now);
  return { from, to };
}

/** GET /v1/value: money moved, time saved and value at risk, beside the previous period. */
export function valueRouter(driver: Driver, settings: ValueSettings, clock: Clock, guard: RequestHandler): Router {
  const router = Router();
  router.get('/v1/value', guard, async (req, res) => {
    const { from, to, window, period, group_by, ...filter } = parseQuery(valueQuery, req.query);
    const range = valueRange({ from, to, window, period }, clock.now());
    res.json(await getValue(driver, { ...filter, tenant: readableTenant(res, filter.tenant), range, groupBy: group_by }, settings));
  });
  return router;
}
