import { messageId, targetKey } from '../notify/index.js';
import type { Alert } from './model.js';
import { OPS_RECEIVER } from './routing-config.js';
import type { Planning, RoutingInput } from './routing-model.js';
import { lastLocalTime } from './routing-time.js';
import { findSilence } from './silences.js';

const DAY = 86_400_000;

/** Notify-log key of the operators' daily summary at one target (its `firingAt` is the last summary time). */
export const opsSummaryKey = (target: string) => `ops-summary|${target}`;

/** Channels a summary goes to: messages people read, not paging or event streams (Datadog, PagerDuty). */
const READ_CHANNELS = new Set(['email', 'webhook', 'slack', 'teams']);

/** Problems only the tenant can fix that operators hear of once a day instead of being paged: authorisations. */
const forSummary = (a: Alert) => a.labels.code === 'auth' && !a.labels.audience.includes('operator') && !a.inhibitedBy;

/**
 * Audience by cause (docs/alerts.md#audiences): an expired or refused authorisation goes to
 * the tenant alone; operators see it on the overview and, once a day at `alerts.digest.at`
 * (`alerts.digest.timezone`), in one summary per ops target listing every such alert that
 * fired or was still firing during the day before. Nothing to list, nothing sent. The id
 * is derived from the target and the summary time, so a restart cannot send it twice.
 */
export function planOpsSummary(alerts: readonly Alert[], input: RoutingInput, plan: Planning): void {
  const { now, log, settings } = input;
  const at = lastLocalTime(now, settings.digest.at, settings.digest.timezone);
  const from = at - DAY;
  const listed = alerts
    .filter((a) => forSummary(a) && a.firedAt! <= at && (a.status === 'firing' || (a.resolvedAt ?? 0) > from) && !findSilence(a, input.silences, a.firedAt!))
    .sort((a, b) => a.labels.tenant.localeCompare(b.labels.tenant) || a.firedAt! - b.firedAt! || a.fingerprint.localeCompare(b.fingerprint));
  for (const target of (settings.receivers.get(OPS_RECEIVER) ?? []).filter((t) => READ_CHANNELS.has(t.channel))) {
    const key = opsSummaryKey(targetKey(target));
    const last = log.get(key)?.firingAt ?? null;
    if (last !== null && last >= at) continue;
    plan.updates.set(key, { key, fingerprint: '', firingAt: at, resolvedAt: null });
    if (listed.length === 0) continue;
    plan.deliveries.push({
      receiver: OPS_RECEIVER,
      targets: [target],
      message: {
        type: 'alert.digest',
        id: messageId(`ops-summary|${targetKey(target)}|${at}`),
        groupKey: 'ops-summary',
        audience: 'operator',
        tenant: null,
        alerts: listed,
        data: { title: `daily summary: ${listed.length} authorisation problem${listed.length === 1 ? '' : 's'} for tenants to fix`, from: new Date(from).toISOString(), to: new Date(at).toISOString() },
        createdAt: now,
      },
    });
  }
}
