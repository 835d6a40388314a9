import { Router } from 'express';
import { z } from 'zod';
import { buildValueReport, describePeriod, lastFullPeriod, nextPeriod, previousPeriod, resolvePeriod, viewValueReport, type ReportPeriod } from '../../reports/index.js';
import { parseQuery } from '../validate.js';
import { pageContext, sendPage, type PageDeps } from './context.js';

const pageQuery = z.object({
  period: z.string().max(32).optional(),
  from: z.string().max(64).optional(),
  to: z.string().max(64).optional(),
});

/** The page address of a period: `?period=` for months and weeks, from/to for ranges. */
function hrefOf(tenant: string, p: ReportPeriod): string {
  const q = p.kind === 'range' ? new URLSearchParams({ from: p.from.toISOString(), to: p.to.toISOString() }) : new URLSearchParams({ period: p.label });
  return `/reports/${encodeURIComponent(tenant)}?${q.toString()}`;
}

/** The period picker: previous and next period (next only when it has begun), and shortcuts. */
function picker(tenant: string, period: ReportPeriod, now: number) {
  const prev = previousPeriod(period);
  const next = nextPeriod(period);
  const link = (p: ReportPeriod) => ({ href: hrefOf(tenant, p), label: describePeriod(p) });
  return {
    previous: link(prev),
    next: next.from.getTime() < now ? link(next) : null,
    last_month: link(lastFullPeriod('month', now)),
    last_week: link(lastFullPeriod('week', now)),
    action: `/reports/${encodeURIComponent(tenant)}`,
    from: period.kind === 'range' ? period.from.toISOString().slice(0, 10) : '',
    to: period.kind === 'range' ? period.to.toISOString().slice(0, 10) : '',
  };
}

/**
 * GET /reports/:tenant: the tenant's value report for `?period=` (2026-10, 2026-W44) or
 * `from`/`to`, by default the last full month (this month instead when only it has activity)
 * — the same model as the email and the API.
 * Access (that tenant's key, link or session, or admin) is checked by the pages router.
 */
export function valuePages(deps: PageDeps): Router {
  const router = Router();
  router.get('/reports/:tenant', async (req, res) => {
    const tenant = String(req.params.tenant);
    const q = parseQuery(pageQuery, req.query);
    const now = deps.clock.now();
    let period = resolvePeriod(q, now);
    let model = await buildValueReport(deps.driver, deps.config, { tenant, period, now });
    // Asked for no period and last month was empty: open on this month if it has activity.
    if (q.period === undefined && q.from === undefined && model.empty) {
      const current = nextPeriod(period);
      const candidate = await buildValueReport(deps.driver, deps.config, { tenant, period: current, now });
      if (!candidate.empty) [period, model] = [current, candidate];
    }
    const report = viewValueReport(model, null, { chartWidth: 1000 });
    const html = deps.renderer.render(
      'value',
      pageContext(res, deps.clock, `${model.title} · ${tenant}`, { page: 'value', tenant }, { report, picker: picker(tenant, period, now) }),
    );
    sendPage(res, html);
  });
  return router;
}
