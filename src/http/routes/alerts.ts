import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { listAlerts, type Alert, type HistoryEntry } from '../../alerts/index.js';
import { checkDate } from '../../insights/index.js';
import type { Driver } from '../../store/index.js';
import { parseQuery } from '../validate.js';

const DAY = 86_400_000;

export const alertsQuery = z.object({
  status: z.enum(['pending', 'firing', 'resolved']).optional(),
  tenant: z.string().min(1).max(128).optional(),
  since: z.iso.datetime({ offset: true, error: 'must be an ISO-8601 date-time' }).optional(),
  limit: z.coerce.number().int('must be a whole number').min(1, 'must be at least 1').max(1000, 'must be at most 1000').default(200),
});

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function alertJson(a: Alert & { history: HistoryEntry[] }) {
  return {
    fingerprint: a.fingerprint,
    status: a.status,
    ...a.labels,
    summary: a.summary,
    action: a.action,
    records: a.records,
    value_at_risk: a.valueAtRisk,
    value: a.value ?? null,
    threshold: a.threshold ?? null,
    one_shot: a.oneShot ?? false,
    active_since: iso(a.activeSince),
    fired_at: iso(a.firedAt),
    resolved_at: iso(a.resolvedAt),
    last_notified_at: iso(a.lastNotifiedAt),
    inhibited_by: a.inhibitedBy ?? null,
    history: a.history,
  };
}

/** GET /v1/alerts: alerts firing or pending, and those resolved since `since` (default the last 24 h), with their history. */
export function alertsRouter(driver: Driver, deps: { now: () => number }, guard: RequestHandler): Router {
  const router = Router();
  router.get('/v1/alerts', guard, async (req, res) => {
    const q = parseQuery(alertsQuery, req.query);
    const since = q.since ? Date.parse(q.since) : deps.now() - DAY;
    if (q.since) checkDate('since', since);
    const alerts = await listAlerts(driver, { status: q.status, tenant: q.tenant, since, limit: q.limit });
    res.json({ alerts: alerts.map(alertJson) });
  });
  return router;
}
