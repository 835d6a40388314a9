import type { Clock } from '../../clock.js';
import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { badRequest, notFound } from '../../errors.js';
import { getRunReport, listRuns, renderRunReportCsv } from '../../insights/index.js';
import { insightQuery, resolveRange, scopeParams } from '../query.js';
import type { Driver } from '../../store/index.js';
import { readableTenant } from '../auth.js';
import { parseQuery } from '../validate.js';

const name = z.string().min(1, 'must not be empty').max(128, 'must be at most 128 characters');
/** The report lists at most this many records per response (getRunReport caps it too). */
const MAX_REPORT_ROWS = 100_000;
const DEFAULT_RUNS_WINDOW_MS = 7 * 86_400_000;

export const runsQuery = insightQuery.extend({
  limit: z.coerce.number().int('must be a whole number').min(1, 'must be at least 1').max(1000, 'must be at most 1000').default(50),
});

export const runReportQuery = z.object({
  run: name,
  tenant: scopeParams.tenant,
  format: z.enum(['json', 'csv']).optional(),
  limit: z.coerce.number().int('must be a whole number').min(1, 'must be at least 1').max(MAX_REPORT_ROWS, `must be at most ${MAX_REPORT_ROWS}`).default(10_000),
});

/** GET /v1/runs (recent runs) and GET /v1/runs/:run/report (the run/import report, JSON or CSV). */
export function runsRouter(driver: Driver, clock: Clock, guard: RequestHandler): Router {
  const router = Router();

  router.get('/v1/runs', guard, async (req, res) => {
    const q = parseQuery(runsQuery, req.query);
    const range = resolveRange(q, DEFAULT_RUNS_WINDOW_MS, clock.now());
    const runs = await listRuns(driver, { tenant: readableTenant(res, q.tenant), integration: q.integration, flow: q.flow, range, limit: q.limit });
    res.json({ window: { from: range.from.toISOString(), to: range.to.toISOString() }, runs });
  });

  router.get('/v1/runs/:run/report', guard, async (req, res) => {
    const q = parseQuery(runReportQuery, { run: req.params.run, tenant: req.query.tenant, format: req.query.format, limit: req.query.limit });
    const tenant = readableTenant(res, q.tenant);
    if (tenant === undefined) throw badRequest('invalid_parameter', 'tenant: is required');
    const report = await getRunReport(driver, { tenant, run: q.run, limit: q.limit });
    if (!report) throw notFound(`tenant "${tenant}" has no run "${q.run}"`);
    const csv = q.format === 'csv' || (q.format === undefined && req.accepts(['json', 'csv']) === 'csv');
    if (!csv) return void res.json(report);
    const file = `run-${q.run.replace(/[^A-Za-z0-9._-]/g, '_')}-report.csv`;
    res.type('text/csv; charset=utf-8').set('Content-Disposition', `attachment; filename="${file}"`).send(renderRunReportCsv(report));
  });

  return router;
}
