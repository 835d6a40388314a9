import type { Clock } from '../../clock.js';
import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import type { ValueSettings } from '../../config.js';
import { getValue, VALUE_GROUPINGS } from '../../insights/index.js';
import { insightQuery, resolveRange } from '../query.js';
import type { Driver } from '../../store/index.js';
import { readableTenant } from '../auth.js';
import { parseQuery } from '../validate.js';

const DEFAULT_WINDOW_MS = 30 * 86_400_000;

export const valueQuery = insightQuery.extend({
  group_by: z.enum(VALUE_GROUPINGS, { message: `must be one of ${VALUE_GROUPINGS.join(', ')}` }).optional(),
});

/** GET /v1/value: money moved, time saved and value at risk, beside the previous period. */
export function valueRouter(driver: Driver, settings: ValueSettings, clock: Clock, guard: RequestHandler): Router {
  const router = Router();
  router.get('/v1/value', guard, async (req, res) => {
    const { from, to, window, group_by, ...filter } = parseQuery(valueQuery, req.query);
    const range = resolveRange({ from, to, window }, DEFAULT_WINDOW_MS, clock.now());
    res.json(await getValue(driver, { ...filter, tenant: readableTenant(res, filter.tenant), range, groupBy: group_by }, settings));
  });
  return router;
}
