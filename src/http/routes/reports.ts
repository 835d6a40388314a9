import { Router, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import type { Clock } from '../../clock.js';
import type { Config } from '../../config.js';
import { badRequest } from '../../errors.js';
import { ident } from '../../ingest/index.js';
import type { Links } from '../../links.js';
import { createEmailRenderer } from '../../notify/index.js';
import { buildValueReport, renderValueReport, resolvePeriod } from '../../reports/index.js';
import type { Driver } from '../../store/index.js';
import { readableTenant } from '../auth.js';
import { parseQuery } from '../validate.js';

export const valueReportQuery = z.object({
  tenant: ident.optional(),
  period: z.string().max(32).optional(),
  from: z.string().max(64).optional(),
  to: z.string().max(64).optional(),
  format: z.enum(['json', 'html'], { message: 'must be json or html' }).optional(),
});

/** The report's tenant: a tenant key's own when omitted (readableTenant); admin keys must name one. */
function allowedTenant(requested: string | undefined, res: Response): string {
  const tenant = readableTenant(res, requested);
  if (tenant === undefined) throw badRequest('invalid_parameter', 'tenant: is required');
  return tenant;
}

/**
 * GET /v1/reports/value: a tenant's value report for a period (`period=2026-10`,
 * `2026-W44`, or `from`/`to`; default the last full month) — the JSON model, or with
 * `format=html` / `Accept: text/html` the report as its email shows it.
 */
export function reportsRouter(deps: { driver: Driver; config: Config; clock: Clock; links: Links }, guard: RequestHandler): Router {
  const router = Router();
  const renderer = createEmailRenderer();
  router.get('/v1/reports/value', guard, async (req, res) => {
    const q = parseQuery(valueReportQuery, req.query);
    const tenant = allowedTenant(q.tenant, res);
    const now = deps.clock.now();
    const period = resolvePeriod(q, now);
    const model = await buildValueReport(deps.driver, deps.config, { tenant, period, now });
    res.set('Cache-Control', 'private, no-store').vary('Accept');
    const html = q.format === 'html' || (q.format === undefined && req.accepts(['application/json', 'text/html']) === 'text/html');
    if (html) res.type('html').send(renderValueReport(model, deps.links, renderer, now).html);
    else res.json(model);
  });
  return router;
}
