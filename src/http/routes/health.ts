import type { Clock } from '../../clock.js';
import { Router, type RequestHandler } from 'express';
import type { HealthSettings } from '../../config.js';
import { describeWindow, getHealth } from '../../insights/index.js';
import { insightQuery, resolveRange } from '../query.js';
import type { Driver } from '../../store/index.js';
import { readableTenant } from '../auth.js';
import { parseQuery } from '../validate.js';

export const healthQuery = insightQuery;

/** GET /v1/health: status, reasons and figures per connection, with its flows. */
export function healthRouter(driver: Driver, settings: HealthSettings, clock: Clock, guard: RequestHandler): Router {
  const router = Router();
  router.get('/v1/health', guard, async (req, res) => {
    const q = parseQuery(healthQuery, req.query);
    const range = resolveRange(q, settings.window_hours * 3_600_000, clock.now());
    const connections = await getHealth(driver, settings, {
      tenant: readableTenant(res, q.tenant),
      integration: q.integration,
      flow: q.flow,
      range,
      windowLabel: describeWindow(q, range, settings.window_hours),
      now: clock.now(),
    });
    res.json({ window: { from: range.from.toISOString(), to: range.to.toISOString() }, connections });
  });
  return router;
}
