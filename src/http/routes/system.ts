import { Router } from 'express';
import type { Ingest } from '../../ingest/index.js';
import type { Metrics } from '../../metrics.js';
import type { Driver } from '../../store/index.js';

/** Above this share of the spool limit, /readyz says not ready: a load balancer should send ingest elsewhere. */
const SPOOL_HIGH_WATER = 0.9;

/**
 * Why this process is not ready, or null when it is: the store does not answer, accepted
 * rows have waited too long for the store (ingest is stalled), or the spool is nearly full.
 */
async function notReadyReason(driver: Driver, ingest: Ingest | null, maxLagMs: number): Promise<{ reason: string; store: boolean } | null> {
  let store = false;
  try {
    store = await driver.ping();
  } catch {
    store = false;
  }
  if (!store) return { reason: 'the store does not answer', store };
  if (!ingest) return null;
  const lag = ingest.batcher.oldestPendingMs();
  if (lag > maxLagMs) return { reason: `ingest is stalled: accepted rows have waited ${Math.round(lag / 1000)} s for the store (limit ${Math.round(maxLagMs / 1000)} s)`, store };
  const bytes = ingest.batcher.spoolBytes();
  const limit = ingest.batcher.spoolLimitBytes();
  if (bytes >= limit * SPOOL_HIGH_WATER) return { reason: `the spool is ${Math.round((100 * bytes) / limit)}% full`, store };
  return null;
}

/** What a process's role adds to /readyz: a reason it is not ready (or null), and what it reports. */
export type RoleDuties = () => { reason: string | null; detail: Record<string, unknown> };

/** GET /healthz (the process is up), /readyz (the store answers, ingest and the role's duties keep up), /metrics (Prometheus text). */
export function systemRouter(driver: Driver, ingest: Ingest | null, metrics: Metrics, opts: { readyMaxLagMs: number; duties?: RoleDuties }): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const duties = opts.duties?.() ?? { reason: null, detail: {} };
    const problem = (await notReadyReason(driver, ingest, opts.readyMaxLagMs)) ?? (duties.reason ? { reason: duties.reason, store: true } : null);
    const body = {
      status: problem ? 'not_ready' : 'ready',
      ...(problem ? { reason: problem.reason } : {}),
      store: problem?.store === false ? 'unreachable' : 'ok',
      spool_backlog_segments: ingest?.batcher.backlogSegments() ?? 0,
      spool_bytes: ingest?.batcher.spoolBytes() ?? 0,
      oldest_pending_seconds: Math.round((ingest?.batcher.oldestPendingMs() ?? 0) / 1000),
      ...duties.detail,
    };
    res.status(problem ? 503 : 200).json(body);
  });
  router.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  return router;
}
