import { Router } from 'express';
import { z } from 'zod';
import { windowMs } from '../query.js';
import { getOverview } from '../../views/index.js';
import { parseQuery } from '../validate.js';
import { openIncidents } from './incidents.js';
import { pageContext, sendPage, type PageDeps } from './context.js';

/** The windows the overview offers (its counts, failures chart and failure rates). */
const WINDOWS = ['24h', '7d'] as const;
const WINDOW_NAMES: Record<(typeof WINDOWS)[number], string> = { '24h': 'last 24 hours', '7d': 'last 7 days' };

const overviewQuery = z.object({ window: z.enum(WINDOWS, { error: 'must be 24h or 7d' }).default('24h') });

/** GET /: the operator overview (admin only; enforced by the pages router before this). */
export function overviewPages(deps: PageDeps): Router {
  const router = Router();
  router.get('/', async (req, res) => {
    const q = parseQuery(overviewQuery, req.query);
    const now = deps.clock.now();
    const range = { from: new Date(now - windowMs(q.window)), to: new Date(now) };
    const overview = await getOverview(
      { driver: deps.driver, health: deps.config.health, deliveries: deps.notifier?.outbox ?? null },
      { range, windowLabel: `in the last ${q.window}`, now },
    );
    const body = {
      overview,
      incidents: await openIncidents(deps.driver, now),
      window: q.window,
      windowName: WINDOW_NAMES[q.window],
      windows: WINDOWS.map((w) => ({ value: w, name: WINDOW_NAMES[w], current: w === q.window })),
      empty: overview.totalConnections === 0,
      // The process-wide channels; webhooks go to receivers named in routes and subscriptions.
      channels: { email: Boolean(deps.config.smtp.url), datadog: Boolean(deps.config.datadog.apiKey || deps.config.datadog.url) },
    };
    sendPage(res, deps.renderer.render('overview', pageContext(res, deps.clock, 'Operator overview', { page: 'overview' }, body)));
  });
  return router;
}
