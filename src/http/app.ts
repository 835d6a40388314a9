import express, { type Express } from 'express';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Ingest } from '../ingest/index.js';
import type { Metrics } from '../metrics.js';
import type { Notifier } from '../notify/index.js';
import type { Driver } from '../store/index.js';
import { Admission } from './admission.js';
import { KeyRing, requireRole } from './auth.js';
import { errorHandler, notFoundHandler } from './errors.js';
import { limitUrlLength } from './server.js';
import { StoreOutage } from './store-outage.js';
import { ingestRouter } from './routes/ingest.js';
import { quarantineRouter } from './routes/quarantine.js';
import { adoptionRouter } from './routes/adoption.js';
import { recordsRouter } from './routes/records.js';
import { healthRouter } from './routes/health.js';
import { runsRouter } from './routes/runs.js';
import { failuresRouter } from './routes/failures.js';
import { classifyRouter } from './routes/classify.js';
import { valueRouter } from './routes/value.js';
import { systemRouter, type RoleDuties } from './routes/system.js';
import { notificationsRouter } from './routes/notifications.js';
import { alertsRouter } from './routes/alerts.js';
import { incidentsRouter } from './routes/incidents.js';
import { silencesRouter } from './routes/silences.js';
import { subscriptionsRouter } from './routes/subscriptions.js';
import { reportsRouter } from './routes/reports.js';
import { docsRouter } from './routes/docs.js';
import { requestMetrics } from './request-metrics.js';
import { systemClock, type Clock } from '../clock.js';
import { AccessSigner, Links } from '../links.js';
import { createPageRenderer, pagesRouter } from './pages/index.js';

export { createHttpServer } from './server.js';

/** What the HTTP layer needs from the rest of the process. */
export interface AppDeps {
  config: Config;
  driver: Driver;
  ingest: Ingest;
  metrics: Metrics;
  log: Logger;
  /** The notify capability; without it the /v1/notifications routes are absent. */
  notifier?: Notifier;
  /** Time for silences, subscriptions and alert listings (tests move it by hand). */
  clock?: Clock;
  /** Signs page links and sessions (pages are absent without it). */
  signer?: AccessSigner;
  /** Page links for reports and pages (the process's own, signed with `signer`); built here when absent. */
  links?: Links;
  /** What this process's role adds to /readyz (main.ts: the lease, the staging drain). */
  duties?: RoleDuties;
  /** The ingest admission limit, shared with the OTLP/gRPC server; built from config when absent. */
  admission?: Admission;
}

/** The ingest admission limit the configuration asks for (one per process: HTTP and gRPC share it). */
export const admissionFor = (config: Pick<Config, 'ingest'>) =>
  new Admission({ maxRequests: config.ingest.maxInflightRequests, maxBytes: config.ingest.maxInflightBytes });

const workerServesNoApi: express.RequestHandler = (_req, res) => {
  res.status(404).json({
    error: { code: 'not_found', message: 'this is a worker process (SYNCWATCH_ROLE=worker): it serves /healthz, /readyz and /metrics only; send API requests to an api process' },
  });
};

/** Builds the express app: thin routes over the capabilities, one error middleware. */
export function createApp({ config, driver, ingest, metrics, log, notifier, clock = systemClock, signer, links = new Links(config.publicUrl, signer ?? null, clock), duties, admission = admissionFor(config) }: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(limitUrlLength);
  const keys = new KeyRing(config.keys);
  const outage = new StoreOutage(driver, log);
  if (keys.open) log.warn('no API keys configured: the API is open to anyone who can reach it (set SYNCWATCH_ADMIN_KEY)');

  app.use(requestMetrics(metrics));
  app.use(systemRouter(driver, ingest, metrics, { readyMaxLagMs: config.ingest.readyMaxLagMs, duties }));
  // A worker serves no API: probes and metrics only (docs/scaling.md).
  if (config.role === 'worker') app.use(workerServesNoApi);
  app.use(docsRouter(config.publicUrl));
  app.use(ingestRouter(ingest, metrics, config.ingest.maxBodyBytes, requireRole(keys, 'ingest'), admission));
  app.use(quarantineRouter(driver, ingest, requireRole(keys, 'admin')));
  // Reads: tenant keys read their own tenant (readableTenant in each route); admin keys any.
  app.use(recordsRouter(driver, requireRole(keys, 'tenant')));
  app.use(healthRouter(driver, config.health, clock, requireRole(keys, 'tenant')));
  app.use(runsRouter(driver, clock, requireRole(keys, 'tenant')));
  app.use(failuresRouter(driver, clock, requireRole(keys, 'tenant')));
  app.use(classifyRouter(ingest.rules, requireRole(keys, 'ingest')));
  app.use(valueRouter(driver, config.value, clock, requireRole(keys, 'tenant')));
  app.use(adoptionRouter(driver, config.value, clock, requireRole(keys, 'admin')));
  if (notifier) app.use(notificationsRouter(notifier, requireRole(keys, 'admin')));
  const now = () => clock.now();
  app.use(alertsRouter(driver, { now }, requireRole(keys, 'admin')));
  app.use(incidentsRouter(driver, { now }, requireRole(keys, 'admin')));
  app.use(silencesRouter(driver, { now }, requireRole(keys, 'admin')));
  app.use(subscriptionsRouter(driver, { webhookAllow: config.webhookAllow, now }, requireRole(keys, 'tenant')));
  app.use(reportsRouter({ driver, config, clock, links }, requireRole(keys, 'tenant')));
  if (signer) {
    const pageDeps = { config, driver, clock, renderer: createPageRenderer(), links, notifier };
    const access = { keys, signer, clock, secureCookies: config.publicUrl.startsWith('https:') };
    app.use(pagesRouter(pageDeps, access, log, metrics, outage));
  }
  app.use(notFoundHandler);
  app.use(errorHandler(log, metrics, outage));
  return app;
}
