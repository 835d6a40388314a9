import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { FAILURE_CATEGORIES, ident } from '../../ingest/index.js';
import { getFailures } from '../../insights/index.js';
import { rangeParams, resolveRange } from '../../insights/window.js';
import type { Driver } from '../../store/index.js';
import { readableTenant } from '../auth.js';
import { parseQuery } from '../validate.js';

const DEFAULT_WINDOW_MS = 24 * 3_600_000;

const failuresQuery = z.object({
  ...rangeParams,
  tenant: ident.optional(),
  integration: ident.optional(),
  flow: ident.optional(),
  category: z.enum(FAILURE_CATEGORIES, { message: `must be one of ${FAILURE_CATEGORIES.join(', ')}` }).optional(),
  code: ident.optional(),
  bucket: z.enum(['hour', 'day'], { message: 'must be hour or day' }).optional(),
});

/** GET /v1/failures: failures by category and code, with examples and a chart series. */
export function failuresRouter(driver: Driver, guard: RequestHandler): Router {
  const router = Router();
  router.get('/v1/failures', guard, async (req, res) => {
    const { from, to, window, ...filter } = parseQuery(failuresQuery, req.query);
    const range = resolveRange({ from, to, window }, DEFAULT_WINDOW_MS);
    res.json(await getFailures(driver, { ...filter, tenant: readableTenant(res, filter.tenant), range }));
  });
  return router;
}
