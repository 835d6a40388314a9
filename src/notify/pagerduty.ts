import { z } from 'zod';
import type { Links } from '../links.js';
import type { ChannelModule } from './channel-module.js';
import { postJson } from './http-post.js';
import type { DeliveryResult, NotificationMessage, NotifiedAlert } from './model.js';
import { viewAlert } from './view.js';

/** A PagerDuty service's Events API v2 integration: its routing (integration) key. */
export interface PagerDutyTarget {
  channel: 'pagerduty';
  routing_key: string;
}

const SEVERITY = { critical: 'critical', warning: 'warning', info: 'info' } as const;
const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/**
 * The Events API v2 event of one alert transition. The dedup key is the alert's
 * fingerprint, so the "resolve" closes the incident the "trigger" opened, and a repeat
 * of the same alert adds to it instead of opening another.
 */
export function pagerDutyEvent(alert: NotifiedAlert, message: NotificationMessage, routingKey: string, links: Links): Record<string, unknown> {
  const dedupKey = clip(`syncwatch:${alert.fingerprint}`, 255);
  if (message.type === 'alert.resolved' || alert.status === 'resolved') return { routing_key: routingKey, event_action: 'resolve', dedup_key: dedupKey };
  const v = viewAlert(alert, links, message.audience === 'tenant');
  return {
    routing_key: routingKey,
    event_action: 'trigger',
    dedup_key: dedupKey,
    payload: {
      summary: clip(`${v.tenant} · ${v.integration}: ${v.summary}`, 1024),
      source: `syncwatch:${v.tenant}/${v.integration}/${v.flow}`,
      severity: SEVERITY[v.severity],
      timestamp: v.started_at,
      component: v.integration,
      group: v.tenant,
      class: `${v.category}.${v.code}`,
      custom_details: { what_to_do: v.action, rule: v.rule, records: v.records.slice(0, 20), value_at_risk: v.value_at_risk },
    },
    links: [{ href: v.status_page_url, text: 'Status page' }],
    client: 'syncwatch',
  };
}

/** The events one message becomes: one per alert; a test is a trigger and its resolve, so nothing stays open. */
function eventsOf(message: NotificationMessage, routingKey: string, links: Links): Record<string, unknown>[] | string {
  if (message.type === 'test') {
    const dedup_key = `syncwatch:test:${message.id}`;
    return [
      { routing_key: routingKey, event_action: 'trigger', dedup_key, payload: { summary: 'syncwatch test notification', source: 'syncwatch', severity: 'info' } },
      { routing_key: routingKey, event_action: 'resolve', dedup_key },
    ];
  }
  // An update is a trigger with the same dedup key: PagerDuty updates the open incident's details.
  if (message.type !== 'alert.firing' && message.type !== 'alert.updated' && message.type !== 'alert.resolved') return `PagerDuty takes alert transitions only; a ${message.type} is not sent there`;
  return message.alerts.map((a) => pagerDutyEvent(a, message, routingKey, links));
}

/** PagerDuty Events API v2 (operators; tenants may route to their own service). */
export const pagerDutyChannel: ChannelModule<PagerDutyTarget> = {
  type: 'pagerduty',
  schema: z.strictObject({
    channel: z.literal('pagerduty'),
    routing_key: z.string().regex(/^[A-Za-z0-9]{32}$/, 'must be the 32-character integration key of an Events API v2 integration'),
  }),
  key: (t) => `pagerduty:${t.routing_key}`,
  publicView: (t) => ({ channel: 'pagerduty', routing_key: `…${t.routing_key.slice(-4)}` }),
  describe: (t) => `PagerDuty (…${t.routing_key.slice(-4)})`,
  create: (deps) => ({
    async send(target, message, ctx): Promise<DeliveryResult> {
      const events = eventsOf(message, target.routing_key, deps.links);
      if (typeof events === 'string') return { ok: false, retryable: false, error: events };
      let last: DeliveryResult = { ok: true, retryable: false };
      // The events URL is the operator's (SYNCWATCH_PAGERDUTY_URL), not the customer's: no SSRF check.
      for (const event of events) {
        last = await postJson(deps.config.pagerduty.url, {}, JSON.stringify(event), { allow: null, timeoutMs: ctx.timeoutMs, now: ctx.now });
        if (!last.ok) return last;
      }
      return last;
    },
  }),
};
