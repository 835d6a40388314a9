import { Router } from 'express';
import { z } from 'zod';
import { notFound } from '../../errors.js';
import { getRunReportCsv, getRunReportPage, getStatusPage, RECORD_HISTORY_DAYS, RUN_REPORT_ROWS_SHOWN } from '../../views/index.js';
import { parseQuery } from '../validate.js';
import { heldBackAlerts, openIncidents } from './incidents.js';
import { pageContext, sendPage, type PageDeps } from './context.js';

const statusQuery = z.object({
  record: z.string({ error: 'give one business id' }).trim().max(256, 'a business id has at most 256 characters').optional(),
});
const runQuery = z.object({ format: z.enum(['html', 'csv'], { error: 'must be html or csv' }).optional() });
/** Run ids are identifiers (src/ingest/events.ts): anything else cannot name a run. */
const RUN_ID = /^[^\s\p{Cc}]{1,128}$/u;

/**
 * GET /status/:tenant (the tenant status page, with `?record=` to find one record's
 * history) and GET /status/:tenant/runs/:run (the run/import report, `?format=csv` to
 * download it). Access to the tenant is checked by the pages router before these run;
 * every look-up here is bound to the tenant in the path, so another tenant's run is a 404.
 */
export function statusPages(deps: PageDeps): Router {
  const router = Router();

  router.get('/status/:tenant', async (req, res) => {
    const tenant = req.params.tenant;
    const q = parseQuery(statusQuery, req.query);
    const record = q.record || undefined;
    const page = await getStatusPage(deps.driver, deps.config.health, { tenant, now: deps.clock.now(), record });
    const body = { page, record: record ?? '', historyDays: RECORD_HISTORY_DAYS, incidents: await openIncidents(deps.driver, deps.clock.now(), tenant), heldBack: await heldBackAlerts(deps.driver, deps.clock.now(), tenant) };
    sendPage(res, deps.renderer.render('status', pageContext(res, deps.clock, `Status · ${tenant}`, { page: 'status', tenant }, body)));
  });

  router.get('/status/:tenant/runs/:run', async (req, res) => {
    const { tenant, run } = req.params;
    const q = parseQuery(runQuery, req.query);
    const missing = () => notFound(`there is no run "${run}" for ${tenant}; it may be older than syncwatch keeps, or the link is wrong`);
    if (!RUN_ID.test(run)) throw missing();
    if (q.format === 'csv') {
      const csv = await getRunReportCsv(deps.driver, { tenant, run });
      if (csv === null) throw missing();
      const file = `run-${run.replace(/[^A-Za-z0-9._-]/g, '_')}-report.csv`;
      res.set('Cache-Control', 'private, no-store').set('Content-Disposition', `attachment; filename="${file}"`).type('text/csv; charset=utf-8').send(csv);
      return;
    }
    const report = await getRunReportPage(deps.driver, { tenant, run });
    if (!report) throw missing();
    const body = { tenant, report, rowsShown: RUN_REPORT_ROWS_SHOWN, csvUrl: `/status/${encodeURIComponent(tenant)}/runs/${encodeURIComponent(run)}?format=csv` };
    sendPage(res, deps.renderer.render('run-report', pageContext(res, deps.clock, `Run ${run} · ${tenant}`, { page: 'run', tenant }, body)));
  });

  return router;
}
