import { createHash } from 'node:crypto';
import { messageId, targetKey, type Target } from '../notify/index.js';
import type { Alert } from './model.js';
import { TENANT_RECEIVER, type Route } from './routing-config.js';
import { planDigests } from './routing-digest.js';
import { planOpsSummary } from './routing-ops-summary.js';
import { goesToDigest, matchRoutes, wants, type Delivery, type NotifyEntry, type NotifyLog, type Planning, type RoutingInput } from './routing-model.js';
import { inQuietHours } from './routing-time.js';
import { findSilence } from './silences.js';
import type { Subscription } from './subscriptions.js';

export { matchRoutes, type Delivery, type NotifyEntry, type NotifyLog, type RoutingInput } from './routing-model.js';

/** What to send now, and the notify-log entries to write once the outbox has it. */
export interface Plan {
  deliveries: Delivery[];
  logUpdates: NotifyEntry[];
}

/** One alert bound for one target of one receiver, grouped under a route's group_by. */
interface Unit {
  route: Route;
  receiver: string;
  target: Target;
  audience: 'tenant' | 'operator';
  groupKey: string;
  /** Tenant email held back during the tenant's quiet hours. */
  quiet: boolean;
}

interface Group {
  unit: Unit;
  alerts: Alert[];
}

const hash = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 32);
/** Notify-log key of one alert at one target of one receiver. */
export const logKey = (fingerprint: string, receiver: string, target: Target) => hash(`${fingerprint}|${receiver}|${targetKey(target)}`);


function unitsOf(alert: Alert, input: RoutingInput): Unit[] {
  const units = new Map<string, Unit>();
  for (const route of matchRoutes(input.settings.routes, alert)) {
    for (const receiver of route.receivers) {
      const tenant = receiver === TENANT_RECEIVER;
      const sub = tenant ? input.subscriptions.get(alert.labels.tenant) : undefined;
      if (tenant && !wants(sub, alert)) continue;
      const targets: Target[] = tenant ? tenantTargets(sub!, alert) : (input.settings.receivers.get(receiver) ?? []);
      // Tenant isolation: a tenant's messages are grouped per tenant, whatever group_by says.
      const groupBy = tenant && !route.groupBy.includes('tenant') ? ['tenant' as const, ...route.groupBy] : route.groupBy;
      const labels = groupBy.map((l) => `${l}=${JSON.stringify(alert.labels[l])}`).join(',');
      for (const target of targets) {
        const id = `${receiver}|${targetKey(target)}`;
        if (units.has(id)) continue; // the first route to reach a target decides its grouping
        units.set(id, {
          route,
          receiver,
          target,
          audience: tenant ? 'tenant' : 'operator',
          groupKey: `${receiver}:{${labels}}`,
          quiet: tenant && target.channel === 'email' && inQuietHours(sub!.quietHours, input.now),
        });
      }
    }
  }
  return [...units.values()];
}

function tenantTargets(sub: Subscription, alert: Alert): Target[] {
  const targets: Target[] = sub.webhooks.map((w) => ({ channel: 'webhook', url: w.url, secret: w.secret }));
  if (sub.emails.length > 0 && !goesToDigest(sub, alert)) targets.push({ channel: 'email', to: sub.emails });
  // Other channels (Slack, Teams, PagerDuty…) are immediate: a digest is an email.
  targets.push(...sub.targets);
  return targets;
}

/**
 * Decides what to notify now (docs/architecture.md#alerts-and-notifications), Alertmanager-style, from the alerts and
 * the notify log alone — no hidden timers, so a restarted worker plans the same thing:
 * - a group's first firing message waits `group_wait` (so alerts firing together travel
 *   together), later ones `group_interval` after the group's last message;
 * - a firing message lists every alert of the group still firing; it is repeated no
 *   more often than `repeat_interval`;
 * - a resolve is sent at once when nothing the receiver was told about still fires
 *   (promptly, not held back), else with the group's next message;
 * - silenced alerts notify nobody; a resolve goes only where the firing went;
 * - tenant email waits out quiet hours; a digest tenant's low-severity mail waits for the digest.
 * Message ids are derived from the alerts and the log, so a re-plan after a crash yields the same ids.
 */
export function planNotifications(input: RoutingInput): Plan {
  const plan: Planning = { deliveries: [], updates: new Map() };
  const groups = new Map<string, Group>();
  const horizon = input.now - 2 * 86_400_000;
  const live = [...input.alerts].filter((a) => a.firedAt !== null && (a.status === 'firing' || (a.resolvedAt ?? 0) >= horizon));
  for (const alert of live) {
    for (const unit of unitsOf(alert, input)) {
      const key = `${unit.groupKey}|${targetKey(unit.target)}`;
      const g = groups.get(key) ?? { unit, alerts: [] };
      g.alerts.push(alert);
      groups.set(key, g);
    }
  }
  for (const g of groups.values()) planGroup(g, input, plan);
  planDigests(live, input, plan);
  planOpsSummary(live, input, plan);
  return { deliveries: plan.deliveries, logUpdates: [...plan.updates.values()] };
}


function planGroup({ unit, alerts }: Group, input: RoutingInput, plan: Planning): void {
  if (unit.quiet) return;
  const { now, log } = input;
  const entry = (a: Alert) => log.get(logKey(a.fingerprint, unit.receiver, unit.target));
  const told = (a: Alert) => (entry(a)?.firingAt ?? -1) >= a.firedAt!;
  // Inhibited alerts are explained by a cause that notifies instead (alerts/inhibit.ts).
  const firing = alerts.filter((a) => a.status === 'firing' && !a.inhibitedBy && !findSilence(a, input.silences, now));
  const fresh = firing.filter((a) => !told(a));
  const still = firing.filter((a) => told(a) && !a.oneShot);
  const resolved = alerts.filter((a) => a.status === 'resolved' && !a.oneShot && told(a) && (entry(a)?.resolvedAt ?? -1) < a.resolvedAt!);
  const lastFlush = Math.max(-Infinity, ...alerts.map((a) => Math.max(entry(a)?.firingAt ?? -Infinity, entry(a)?.resolvedAt ?? -Infinity)));
  const { groupWaitMs, groupIntervalMs, repeatIntervalMs } = unit.route;

  let sendFiring = false;
  if (fresh.length > 0) {
    const due = still.length === 0 ? Math.min(...fresh.map((a) => a.firedAt!)) + groupWaitMs : lastFlush + groupIntervalMs;
    sendFiring = now >= due;
  } else if (still.length > 0) {
    sendFiring = now >= lastFlush + repeatIntervalMs;
  }
  if (sendFiring) {
    const listed = sortAlerts([...fresh, ...still]);
    const basis = fresh.length > 0 ? 'new' : `repeat@${lastFlush}`;
    const members = listed.map((a) => `${a.fingerprint}@${a.firedAt}`).join(',');
    push(plan, unit, 'alert.firing', listed, `${basis}|${members}`, now);
    for (const a of listed) updateLog(plan, log, a, unit, { firingAt: now, toldSize: sizeOf(a) });
  } else if (fresh.length === 0 && grew(still, entry, unit.route.updateGrowth) && now >= lastFlush + groupIntervalMs) {
    // Messages that stay current: the group doubled (by default) since its last message.
    const listed = sortAlerts([...still]);
    push(plan, unit, 'alert.updated', listed, `update@${lastFlush}|${listed.map((a) => `${a.fingerprint}@${sizeOf(a)}`).join(',')}`, now);
    for (const a of listed) updateLog(plan, log, a, unit, { firingAt: now, toldSize: sizeOf(a) });
  }
  if (resolved.length > 0 && (sendFiring || still.length === 0 || now >= lastFlush + groupIntervalMs)) {
    const listed = sortAlerts(resolved);
    push(plan, unit, 'alert.resolved', listed, listed.map((a) => `${a.fingerprint}@${a.resolvedAt}`).join(','), now);
    for (const a of listed) updateLog(plan, log, a, unit, { resolvedAt: now });
  }
}

/** What "the group grew" is measured in: records failed in the window, or a partner incident's tenants. */
const sizeOf = (a: Alert) => a.figures?.records ?? a.incident?.tenants.length ?? 0;

/** Whether the firing group's size reached (1 + growth) × its size in the last message to this target. */
function grew(still: Alert[], entry: (a: Alert) => NotifyEntry | undefined, growth: number | null): boolean {
  if (growth === null || still.length === 0) return false;
  const told = still.reduce((n, a) => n + (entry(a)?.toldSize ?? 0), 0);
  const now = still.reduce((n, a) => n + sizeOf(a), 0);
  return told > 0 && now >= told * (1 + growth);
}

const sortAlerts = (alerts: Alert[]) =>
  alerts.sort((a, b) => a.labels.tenant.localeCompare(b.labels.tenant) || a.labels.integration.localeCompare(b.labels.integration) || a.fingerprint.localeCompare(b.fingerprint));

function push(plan: Planning, unit: Unit, type: 'alert.firing' | 'alert.updated' | 'alert.resolved', alerts: Alert[], basis: string, now: number): void {
  const tenants = new Set(alerts.map((a) => a.labels.tenant));
  plan.deliveries.push({
    receiver: unit.receiver,
    targets: [unit.target],
    message: {
      type,
      id: messageId(`${unit.groupKey}|${targetKey(unit.target)}|${type}|${basis}`),
      groupKey: unit.groupKey,
      audience: unit.audience,
      tenant: tenants.size === 1 ? [...tenants][0] || null : null,
      alerts,
      createdAt: now,
    },
  });
}

function updateLog(plan: Planning, log: NotifyLog, alert: Alert, unit: Unit, patch: Partial<NotifyEntry>): void {
  const key = logKey(alert.fingerprint, unit.receiver, unit.target);
  const prev = plan.updates.get(key) ?? log.get(key) ?? { key, fingerprint: alert.fingerprint, firingAt: null, resolvedAt: null };
  plan.updates.set(key, { ...prev, ...patch });
}
