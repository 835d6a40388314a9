import type { NotificationMessage, Target } from '../notify/index.js';
import type { Alert } from './model.js';
import type { AlertsSettings, Route, RouteLabel } from './routing-config.js';
import type { Silence } from './silences.js';
import type { Subscription } from './subscriptions.js';

// What routing and the daily digest share: the plan's parts and which routes and
// subscriptions an alert matches.

/** When one alert's firing and resolve were last handed to the outbox for one target (or, for `digest|tenant`, the last digest). */
export interface NotifyEntry {
  key: string;
  fingerprint: string;
  firingAt: number | null;
  resolvedAt: number | null;
  /** The alert's size (records failed, incident tenants) in the last firing or update message to this target: what an update is measured against. */
  toldSize?: number;
}
export type NotifyLog = Map<string, NotifyEntry>;

/** A message and where it goes: what the outbox is given. */
export interface Delivery {
  message: NotificationMessage;
  targets: Target[];
  /** Who it went to, for the alert history (never a secret). */
  receiver: string;
}

/** What routing decides from. */
export interface RoutingInput {
  alerts: Iterable<Alert>;
  now: number;
  settings: Pick<AlertsSettings, 'routes' | 'receivers' | 'digest'>;
  subscriptions: ReadonlyMap<string, Subscription>;
  silences: readonly Silence[];
  log: NotifyLog;
}

/** A plan being built: log updates keyed, so an alert in several groups is written once. */
export interface Planning {
  deliveries: Delivery[];
  updates: Map<string, NotifyEntry>;
}

function labelValues(alert: Alert, label: RouteLabel): string[] {
  return label === 'audience' ? alert.labels.audience : [String(alert.labels[label])];
}

function routeMatches(route: Route, alert: Alert): boolean {
  return Object.entries(route.match).every(([label, wanted]) => labelValues(alert, label as RouteLabel).some((v) => wanted!.includes(v)));
}

/** Routes an alert takes: the first match, and the ones after it while `continue` is set. */
export function matchRoutes(routes: readonly Route[], alert: Alert): Route[] {
  const out: Route[] = [];
  for (const r of routes) {
    if (!routeMatches(r, alert)) continue;
    out.push(r);
    if (!r.continue) break;
  }
  return out;
}

/** Whether a subscription wants this alert at all. */
export const wants = (sub: Subscription | undefined, alert: Alert): sub is Subscription =>
  !!sub && alert.labels.tenant !== '' && (sub.categories as string[]).includes(alert.labels.category);

/** Low-severity mail of a digest tenant waits for the daily digest; critical mail never does. */
export const goesToDigest = (sub: Subscription, alert: Alert) => sub.delivery === 'digest' && alert.labels.severity !== 'critical';
