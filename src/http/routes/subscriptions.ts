import { Router, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import { getSubscription, putSubscription, subscriptionBodySchema, subscriptionView } from '../../alerts/index.js';
import { forbidden } from '../../errors.js';
import { checkWebhookUrl } from '../../notify/index.js';
import type { Driver } from '../../store/index.js';
import type { Principal } from '../auth.js';
import { jsonBody } from '../body.js';
import { parseQuery } from '../validate.js';

export const tenantParam = z.object({ tenant: z.string().min(1).max(128).regex(/^[^\s/]+$/, 'must not contain spaces or slashes') });

/** The tenant of the path, if the key may manage it: admin keys any, `tenant` keys only their own. */
function tenantOf(params: unknown, res: Response): string {
  const { tenant } = parseQuery(tenantParam, params);
  const principal = res.locals.principal as Principal;
  if (principal.role !== 'admin' && !principal.tenants?.has(tenant)) throw forbidden(`this key may not manage the subscriptions of tenant "${tenant}"`);
  return tenant;
}

/**
 * GET/PUT /v1/tenants/:tenant/subscriptions: where a tenant hears about its alerts.
 * Webhook URLs pass the SSRF guard on PUT; secrets are write-only (GET shows a hint).
 */
export function subscriptionsRouter(driver: Driver, deps: { webhookAllow: readonly string[]; now: () => number }, guard: RequestHandler): Router {
  const router = Router();
  router.get('/v1/tenants/:tenant/subscriptions', guard, async (req, res) => {
    const tenant = tenantOf({ tenant: req.params.tenant }, res);
    res.json(subscriptionView(await getSubscription(driver, tenant)));
  });
  router.put('/v1/tenants/:tenant/subscriptions', guard, ...jsonBody(64 * 1024), async (req, res) => {
    const tenant = tenantOf({ tenant: req.params.tenant }, res);
    const body = parseQuery(subscriptionBodySchema, req.body ?? {});
    const saved = await putSubscription(driver, tenant, body, deps.now(), async (url) => {
      await checkWebhookUrl(url, deps.webhookAllow);
    });
    res.json(subscriptionView(saved));
  });
  return router;
}
