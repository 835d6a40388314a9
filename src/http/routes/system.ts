import { Router } from 'express';
import type { Ingest } from '../../ingest/index.js';
import type { Metrics } from '../../metrics.js';
import type { Driver } from '../../store/index.js';

/** GET /healthz (the process is up), /readyz (the store answers), /metrics (Prometheus text). */
export function systemRouter(driver: Driver, ingest: Ingest | null, metrics: Metrics): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    let store = false;
    try {
      store = await driver.ping();
    } catch {
      store = false;
    }
    const backlog = ingest?.batcher.backlogSegments() ?? 0;
    res.status(store ? 200 : 503).json({ status: store ? 'ready' : 'not_ready', store: store ? 'ok' : 'unreachable', spool_backlog_segments: backlog });
  });
  router.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  return router;
}
