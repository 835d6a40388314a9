import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { listAlerts, type Alert } from '../../alerts/index.js';
import { partnerName } from '../../incidents/index.js';
import { checkDate } from '../../insights/index.js';
import type { Driver } from '../../store/index.js';
import { parseQuery } from '../validate.js';

const DAY = 86_400_000;

export const incidentsQuery = z.object({
  status: z.enum(['firing', 'resolved']).optional(),
  integration: z.string().min(1).max(128).optional(),
  since: z.iso.datetime({ offset: true, error: 'must be an ISO-8601 date-time' }).optional(),
});

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** One partner incident as the API shows it (docs/alerts.md#partner-incidents). */
export function incidentJson(a: Alert) {
  const f = a.incident!;
  return {
    id: a.fingerprint,
    rule: a.labels.rule,
    integration: a.labels.integration,
    partner: partnerName(a.labels.integration),
    status: a.status,
    summary: a.summary,
    action: a.action,
    started_at: iso(f.since),
    detected_at: iso(a.firedAt ?? a.activeSince),
    resolved_at: iso(a.resolvedAt),
    tenants: f.tenants,
    connections: f.connections,
    active_connections: f.activeConnections,
    records_failed: f.failedRecords,
    value_at_risk: a.valueAtRisk,
  };
}

/** GET /v1/incidents: partner incidents open now, and those resolved since `since` (default the last 7 days), newest first. */
export function incidentsRouter(driver: Driver, deps: { now: () => number }, guard: RequestHandler): Router {
  const router = Router();
  router.get('/v1/incidents', guard, async (req, res) => {
    const q = parseQuery(incidentsQuery, req.query);
    const since = q.since ? Date.parse(q.since) : deps.now() - 7 * DAY;
    if (q.since) checkDate('since', since);
    const alerts = await listAlerts(driver, { incidents: true, since, limit: 1000, ...(q.status ? { status: q.status } : {}) });
    const incidents = alerts.filter((a) => a.firedAt !== null && (!q.integration || a.labels.integration === q.integration));
    res.json({ incidents: incidents.map(incidentJson) });
  });
  return router;
}
