import { messageId } from '../notify/index.js';
import type { Alert } from './model.js';
import { TENANT_RECEIVER } from './routing-config.js';
import { inQuietHours, lastLocalTime } from './routing-time.js';
import { goesToDigest, matchRoutes, wants, type Planning, type RoutingInput } from './routing-model.js';
import { findSilence } from './silences.js';

const DAY = 86_400_000;

/** Notify-log key of a tenant's daily digest (its `firingAt` is the last digest time sent). */
export const digestKey = (tenant: string) => `digest|${tenant}`;

/**
 * Once a day, at `alerts.digest.at` in the tenant's time zone (its quiet-hours zone, else
 * `alerts.digest.timezone`), a tenant with `delivery: digest` gets one `alert.digest`
 * mail listing the low-severity alerts that fired for it since the previous digest
 * (at most a day back). Nothing to list, nothing sent. The id is derived from the tenant
 * and the digest time, so a worker that restarts mid-way cannot send it twice.
 */
export function planDigests(alerts: readonly Alert[], input: RoutingInput, plan: Planning): void {
  const { now, log, settings } = input;
  for (const sub of input.subscriptions.values()) {
    if (sub.delivery !== 'digest' || sub.emails.length === 0) continue;
    const at = lastLocalTime(now, settings.digest.at, sub.quietHours?.timezone ?? settings.digest.timezone);
    const key = digestKey(sub.tenant);
    const last = log.get(key)?.firingAt ?? null;
    if ((last !== null && last >= at) || inQuietHours(sub.quietHours, now)) continue;
    const from = Math.max(last ?? -Infinity, at - DAY);
    const listed = alerts
      .filter(
        (a) =>
          a.labels.tenant === sub.tenant &&
          a.firedAt! > from &&
          a.firedAt! <= at &&
          wants(sub, a) &&
          goesToDigest(sub, a) &&
          !findSilence(a, input.silences, a.firedAt!) &&
          matchRoutes(settings.routes, a).some((r) => r.receivers.includes(TENANT_RECEIVER)),
      )
      .sort((a, b) => a.firedAt! - b.firedAt! || a.fingerprint.localeCompare(b.fingerprint));
    plan.updates.set(key, { key, fingerprint: '', firingAt: at, resolvedAt: null });
    if (listed.length === 0) continue;
    plan.deliveries.push({
      receiver: TENANT_RECEIVER,
      targets: [{ channel: 'email', to: sub.emails }],
      message: {
        type: 'alert.digest',
        id: messageId(`digest|${sub.tenant}|${at}`),
        groupKey: `digest:{tenant=${JSON.stringify(sub.tenant)}}`,
        audience: 'tenant',
        tenant: sub.tenant,
        alerts: listed,
        data: { from: new Date(Math.max(from, at - DAY)).toISOString(), to: new Date(at).toISOString() },
        createdAt: now,
      },
    });
  }
}
