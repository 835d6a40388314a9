import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { DELIVERY_STATUSES, publicTarget, targetSchema, type Delivery, type DeliveryAttempt, type Notifier } from '../../notify/index.js';
import { jsonBody } from '../body.js';
import { parseQuery } from '../validate.js';

export const deliveriesQuery = z.object({
  status: z.enum(DELIVERY_STATUSES).optional(),
  tenant: z.string().min(1).max(128).optional(),
  limit: z.coerce.number().int('must be a whole number').min(1, 'must be at least 1').max(500, 'must be at most 500').default(50),
});

const iso = (ms: number) => new Date(ms).toISOString();

/** A delivery as the API shows it: targets without secrets, every attempt with its response code. */
function deliveryJson(d: Delivery & { log: DeliveryAttempt[] }) {
  return {
    id: d.id,
    status: d.status,
    channel: d.target.channel,
    target: publicTarget(d.target),
    message: {
      id: d.message.id,
      type: d.message.type,
      audience: d.message.audience,
      tenant: d.message.tenant,
      group_key: d.message.groupKey,
      alerts: d.message.alerts.map((a) => ({ fingerprint: a.fingerprint, rule: a.labels.rule, severity: a.labels.severity, tenant: a.labels.tenant, integration: a.labels.integration, flow: a.labels.flow, summary: a.summary })),
    },
    attempt_count: d.attempts,
    next_attempt_at: d.status === 'pending' ? iso(d.nextAttemptAt) : null,
    last_status: d.lastStatus,
    last_error: d.lastError,
    created_at: iso(d.createdAt),
    updated_at: iso(d.updatedAt),
    attempts: d.log.map((a) => ({ attempt: a.attempt, at: iso(a.at), status: a.status, ok: a.ok, retryable: a.retryable, error: a.error, duration_ms: Math.round(a.durationMs) })),
  };
}

/** GET /v1/notifications (the delivery log) and POST /v1/notifications/test (send a test now). Admin only. */
export function notificationsRouter(notifier: Notifier, guard: RequestHandler): Router {
  const router = Router();

  router.get('/v1/notifications', guard, async (req, res) => {
    const q = parseQuery(deliveriesQuery, req.query);
    const deliveries = await notifier.outbox.list(q);
    res.json({ deliveries: deliveries.map(deliveryJson) });
  });

  router.post('/v1/notifications/test', guard, ...jsonBody(16 * 1024), async (req, res) => {
    const target = parseQuery(targetSchema, req.body ?? {});
    const result = await notifier.sendTest(target);
    res.json({
      ok: result.ok,
      status: result.status ?? null,
      error: result.error ?? null,
      retryable: result.retryable,
      delivery_id: result.deliveryId,
      message_id: result.messageId,
    });
  });

  return router;
}
