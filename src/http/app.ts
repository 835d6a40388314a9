import express, { type Express } from 'express';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Ingest } from '../ingest/index.js';
import type { Metrics } from '../metrics.js';
import type { Driver } from '../store/index.js';
import { KeyRing, requireRole } from './auth.js';
import { errorHandler, notFoundHandler } from './errors.js';
import { ingestRouter } from './routes/ingest.js';
import { recordsRouter } from './routes/records.js';
import { systemRouter } from './routes/system.js';

/** What the HTTP layer needs from the rest of the process. */
export interface AppDeps {
  config: Config;
  driver: Driver;
  ingest: Ingest;
  metrics: Metrics;
  log: Logger;
}

/** Builds the express app: thin routes over the capabilities, one error middleware. */
export function createApp({ config, driver, ingest, metrics, log }: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  const keys = new KeyRing(config.keys);
  if (keys.open) log.warn('no API keys configured: the API is open to anyone who can reach it (set SYNCWATCH_ADMIN_KEY)');

  app.use(systemRouter(driver, ingest, metrics));
  app.use(ingestRouter(ingest, metrics, config.ingest.maxBodyBytes, requireRole(keys, 'ingest')));
  app.use(recordsRouter(driver, requireRole(keys, 'admin')));
  app.use(notFoundHandler);
  app.use(errorHandler(log, metrics));
  return app;
}
