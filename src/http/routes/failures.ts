import type { Clock } from '../../clock.js';
import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { FAILURE_CATEGORIES, ident } from '../../ingest/index.js';
import { getFailures, getUnknownFailures } from '../../insights/index.js';
import { insightQuery, resolveRange } from '../query.js';
import type { Driver } from '../../store/index.js';
import { readableTenant } from '../auth.js';
import { parseQuery } from '../validate.js';

const DEFAULT_WINDOW_MS = 24 * 3_600_000;

export const failuresQuery = insightQuery.extend({
  category: z.enum(FAILURE_CATEGORIES, { message: `must be one of ${FAILURE_CATEGORIES.join(', ')}` }).optional(),
  code: ident.optional(),
  bucket: z.enum(['hour', 'day'], { message: 'must be hour or day' }).optional(),
});

export const unknownQuery = insightQuery.omit({ flow: true }).extend({
  limit: z.coerce.number().int().min(1, 'must be 1 to 500').max(500, 'must be 1 to 500').optional(),
});

/** GET /v1/failures: failures by category and code, with examples and a chart series; GET /v1/failures/unknown: unclassified messages by count. */
export function failuresRouter(driver: Driver, clock: Clock, guard: RequestHandler): Router {
  const router = Router();
  router.get('/v1/failures', guard, async (req, res) => {
    const { from, to, window, ...filter } = parseQuery(failuresQuery, req.query);
    const range = resolveRange({ from, to, window }, DEFAULT_WINDOW_MS, clock.now());
    res.json(await getFailures(driver, { ...filter, tenant: readableTenant(res, filter.tenant), range }));
  });
  router.get('/v1/failures/unknown', guard, async (req, res) => {
    const { from, to, window, tenant, integration, limit } = parseQuery(unknownQuery, req.query);
    const range = resolveRange({ from, to, window }, DEFAULT_WINDOW_MS, clock.now());
    const unknown = await getUnknownFailures(driver, { range, tenant: readableTenant(res, tenant), integration, limit });
    res.json({ from: range.from.toISOString(), to: range.to.toISOString(), unknown });
  });
  return router;
}
