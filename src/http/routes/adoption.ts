import type { Clock } from '../../clock.js';
import { Router, type RequestHandler } from 'express';
import type { ValueSettings } from '../../config.js';
import { getAdoption } from '../../insights/index.js';
import { insightQuery, resolveRange } from '../query.js';
import type { Driver } from '../../store/index.js';
import { parseQuery } from '../validate.js';

const DEFAULT_WINDOW_MS = 30 * 86_400_000;

export const adoptionQuery = insightQuery.pick({ from: true, to: true, window: true, integration: true });

/** GET /v1/adoption: per integration funnel, installs, active connections, churn, volume, and a ranking. */
export function adoptionRouter(driver: Driver, value: Pick<ValueSettings, 'reporting_currency' | 'rates'>, clock: Clock, guard: RequestHandler): Router {
  const router = Router();
  router.get('/v1/adoption', guard, async (req, res) => {
    const q = parseQuery(adoptionQuery, req.query);
    const range = resolveRange(q, DEFAULT_WINDOW_MS, clock.now());
    res.json(await getAdoption(driver, { range, integration: q.integration }, value));
  });
  return router;
}
