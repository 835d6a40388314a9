import { z } from 'zod';
import type { v1 } from '@datadog/datadog-api-client';
import type { Links } from '../links.js';
import type { ChannelModule } from './channel-module.js';
import type { DatadogClient } from './datadog-client.js';
import type { Channel, NotificationMessage, NotifiedAlert } from './model.js';
import { createHash } from 'node:crypto';
import { alertScope, viewAlert } from './view.js';
import { formatMoney, formatTime } from '../format/index.js';

const ALERT_TYPES = { critical: 'error', warning: 'warning', info: 'info' } as const;
const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/**
 * The Datadog event of one alert transition: aggregated per routing group (a partner
 * incident is one group: one key from firing to resolved), typed by severity (success on
 * resolve), tagged by labels.
 */
export function alertEvent(alert: NotifiedAlert, message: NotificationMessage, links: Links): v1.EventCreateRequest {
  // Datadog is for operators: plain links, no tenant access tokens in a third-party system.
  const view = viewAlert(alert, links);
  const resolved = message.type === 'alert.resolved' || alert.status === 'resolved';
  const lines = [
    view.summary,
    resolved ? `Resolved at ${formatTime(alert.resolvedAt ?? message.createdAt)}.` : `What to do: ${view.action}`,
    resolved && view.duration ? `Lasted ${view.duration}.` : '',
    message.type === 'alert.updated' ? 'Update: still going on, and it has grown since the last event.' : '',
    view.value_at_risk ? `Value at risk: ${formatMoney(view.value_at_risk.amount, view.value_at_risk.currency)}` : '',
    view.records_affected !== null ? `Records failed: ${view.records_affected}; synced since: ${view.records_recovered}` : '',
    ...view.records.map((r) => `- ${r.id}: ${r.message}`),
    view.records_url ? `All records that still fail: ${view.records_url}` : '',
    `Status page: ${view.status_page_url}`,
  ].filter(Boolean);
  return {
    title: clip(`${resolved ? 'Resolved: ' : ''}${[alertScope(view), view.summary].filter(Boolean).join(': ')}`, 100),
    text: clip(lines.join('\n'), 4000),
    aggregationKey: message.groupKey ? `syncwatch-${createHash('sha256').update(message.groupKey).digest('hex').slice(0, 32)}` : view.fingerprint.slice(0, 100),
    // The event's own source, so Datadog's `source:syncwatch` search (dashboards/) finds it.
    sourceTypeName: 'syncwatch',
    alertType: resolved ? 'success' : ALERT_TYPES[view.severity],
    dateHappened: Math.floor((resolved ? (alert.resolvedAt ?? message.createdAt) : (alert.firedAt ?? message.createdAt)) / 1000),
    tags: [
      `tenant:${view.tenant}`,
      `integration:${view.integration}`,
      `flow:${view.flow}`,
      `category:${view.category}`,
      `code:${view.code}`,
      `rule:${view.rule}`,
      `severity:${view.severity}`,
      'source:syncwatch',
    ],
  };
}

/** A Datadog target: events go to the account of DD_API_KEY. */
export interface DatadogTarget {
  channel: 'datadog';
}

/** The Datadog channel: one event per alert of the message (a test message is one info event). */
function createDatadogChannel(datadog: DatadogClient | null, links: Links): Channel<DatadogTarget> {
  return async (_target, message, ctx) => {
    if (!datadog) return { ok: false, retryable: false, error: 'Datadog is not configured: set DD_API_KEY' };
    const bodies: v1.EventCreateRequest[] =
      message.alerts.length > 0
        ? message.alerts.map((a) => alertEvent(a, message, links))
        : [
            {
              title: message.type === 'test' ? 'syncwatch test notification' : `syncwatch ${message.type}`,
              text: `Sent by syncwatch at ${formatTime(message.createdAt)} (message ${message.id}).`,
              aggregationKey: message.id,
              alertType: 'info',
              tags: ['source:syncwatch', `type:${message.type}`],
            },
          ];
    return datadog.call(ctx.timeoutMs, ctx.now, async () => {
      for (const body of bodies) await datadog.events.createEvent({ body });
    });
  };
}

/** Datadog events (operators). */
export const datadogChannel: ChannelModule<DatadogTarget> = {
  type: 'datadog',
  schema: z.strictObject({ channel: z.literal('datadog') }),
  key: () => 'datadog',
  publicView: () => ({ channel: 'datadog' }),
  describe: () => 'Datadog',
  create: (deps) => ({ send: createDatadogChannel(deps.datadog, deps.links) }),
};
