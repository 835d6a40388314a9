import type { IntegrationEvent } from '../ingest/index.js';
import { CONNECTIONS, PROSPECTS, type ConnectionSpec } from './catalog.js';
import { createRandom, hashString } from './random.js';
import { DAY, HOUR, MINUTE, type Scenarios, type Target } from './scenarios.js';

/** The adoption funnel of docs/architecture.md#adoption, in order. */
export const FUNNEL = [
  'integration.viewed',
  'integration.install_started',
  'integration.authorized',
  'integration.configured',
  'integration.enabled',
] as const;

type LifecycleType = (typeof FUNNEL)[number] | 'integration.disabled' | 'integration.uninstalled' | 'auth.expiring' | 'auth.refreshed' | 'auth.expired';

// Ids name the connection and the step: each step happens once per connection, so a
// re-run of the demo sends the same ids and nothing is counted twice.
function lifecycleEvent(c: Target, type: LifecycleType, at: number, attributes?: Record<string, string>): IntegrationEvent {
  const day = type.startsWith('auth.') ? `-${new Date(at).toISOString().slice(0, 10)}` : '';
  return {
    id: `lc-${c.tenant}-${c.integration}-${type}${day}`,
    type,
    time: new Date(at).toISOString(),
    tenant: c.tenant,
    integration: c.integration,
    ...(attributes ? { attributes } : {}),
  };
}

/** The first `steps` funnel steps of one connection, starting at `at`, minutes to an hour apart. */
function funnel(seed: string, c: Target, at: number, steps: number): IntegrationEvent[] {
  const rnd = createRandom(`${seed}/funnel/${c.tenant}/${c.integration}`);
  const user = `${rnd.pick(['admin', 'ops', 'it', 'finance'])}@${c.tenant}.example`;
  let t = at;
  return FUNNEL.slice(0, steps).map((type, i) => {
    if (i > 0) t += rnd.int(2, i === 3 ? 60 : 15) * MINUTE + rnd.int(0, 59_999);
    return lifecycleEvent(c, type, t, { user, source: i === 0 ? rnd.pick(['marketplace', 'onboarding', 'settings']) : 'app' });
  });
}

/** When a connection that predates the window was enabled (weeks before it). */
export function installedAt(seed: string, c: ConnectionSpec, now: number): number {
  const today = Math.floor(now / DAY) * DAY;
  return today - (20 + (hashString(`${seed}/${c.tenant}/${c.integration}`) % 60)) * DAY + 9 * HOUR;
}

/** Funnel drop-offs: who looked and how far they got (steps reached). */
const DROP_OFFS: (Target & { steps: number; at: number })[] = [
  { tenant: 'stark', integration: 'salesforce', steps: 2, at: 0.15 },
  { tenant: 'wayne', integration: 'netsuite', steps: 1, at: 0.3 },
  { tenant: 'wonka', integration: 'hubspot', steps: 4, at: 0.45 },
  { tenant: 'stark', integration: 'hubspot', steps: 1, at: 0.5 },
  { tenant: 'umbrella', integration: 'hubspot', steps: 1, at: 0.6 },
  { tenant: 'hooli', integration: 'salesforce', steps: 3, at: 0.7 },
  { tenant: 'acme', integration: 'netsuite', steps: 1, at: 0.85 },
];

/** Connection lifecycle and auth events: installs, drop-offs, disable/uninstall, token expiry. */
export function lifecycleEvents(seed: string, sc: Scenarios): IntegrationEvent[] {
  const events: IntegrationEvent[] = [];
  for (const c of CONNECTIONS) events.push(...funnel(seed, c, installedAt(seed, c, sc.now), FUNNEL.length));
  events.push(...funnel(seed, sc.installed, sc.installed.at, FUNNEL.length));

  // Drop-offs happen during the window (its last 90 %, leaving an hour before now).
  const span = sc.now - HOUR - sc.windowStart;
  for (const d of DROP_OFFS) events.push(...funnel(seed, d, sc.windowStart + Math.floor(span * d.at), d.steps));

  events.push(lifecycleEvent(sc.disabled, 'integration.disabled', sc.disabled.at, { user: `admin@${sc.disabled.tenant}.example` }));
  const u = sc.uninstalled;
  events.push(lifecycleEvent(u, 'integration.disabled', u.at - 10 * MINUTE, { user: `it@${u.tenant}.example` }));
  events.push(lifecycleEvent(u, 'integration.uninstalled', u.at, { user: `it@${u.tenant}.example`, reason: 'moved to another accounting tool' }));

  events.push(lifecycleEvent(sc.authRefreshed, 'auth.refreshed', sc.authRefreshed.at));
  const expiring = sc.authExpiring;
  events.push(lifecycleEvent(expiring, 'auth.expiring', expiring.at, { expires_at: new Date(expiring.expiresAt).toISOString() }));
  const expired = sc.authExpired;
  // The warning came three days earlier, when that is inside the window.
  if (expired.at - 3 * DAY >= sc.windowStart) {
    events.push(lifecycleEvent(expired, 'auth.expiring', expired.at - 3 * DAY, { expires_at: new Date(expired.at).toISOString() }));
  }
  events.push(lifecycleEvent(expired, 'auth.expired', expired.at, { expired_at: new Date(expired.at).toISOString() }));
  return events;
}

/** [from, until) of scheduled runs for one connection, given the scenarios that stop or start it. */
export function activeRange(seed: string, c: Target, sc: Scenarios): { from: number; until: number } {
  const is = (t: Target) => t.tenant === c.tenant && t.integration === c.integration;
  let from = sc.windowStart;
  let until = sc.now;
  if (is(sc.installed)) from = sc.installed.at + 2 * HOUR;
  if (is(sc.stale)) {
    from = sc.stale.firstRun;
    until = sc.stale.stoppedAt;
  }
  if (is(sc.disabled)) until = sc.disabled.at;
  if (is(sc.uninstalled)) until = sc.uninstalled.at - 10 * MINUTE;
  if (!is(sc.installed)) from = Math.max(from, installedAt(seed, c, sc.now) + HOUR);
  return { from, until };
}
