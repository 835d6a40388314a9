import { listAlerts, type Alert } from '../alerts/index.js';
import { describeTarget, type Delivery, type DeliveryAttempt, type DeliveryFilter, type Target } from '../notify/index.js';
import type { Driver } from '../store/index.js';
import { findProblemStart } from './problem-start.js';

// The operator overview's "what is going on" sections: alerts firing now, the latest
// notifications and the dead letters (deliveries that were given up on).

/** One firing alert as the overview lists it. */
export interface OverviewAlert {
  fingerprint: string;
  rule: string;
  severity: string;
  category: string;
  code: string;
  summary: string;
  tenant: string;
  integration: string;
  flow: string;
  /** Epoch ms the problem began: its first failure of this episode (problem-start.ts), else when the engine first saw it. */
  since: number;
  /** The cause that explains it and holds its notifications back (alerts/inhibit.ts), if any. */
  inhibitedBy: { rule: string; summary: string } | null;
}

/** One notification delivery as the overview lists it; destinations never show secrets or URL paths. */
export interface OverviewDelivery {
  id: string;
  status: string;
  type: string;
  /** What the message was about: its first alert's summary, or what kind of message it was. */
  about: string;
  /** How many alerts the message grouped. */
  alerts: number;
  /** Alerts grouped into the message besides the one it is shown by. */
  moreAlerts: number;
  channel: string;
  destination: string;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: number;
  updatedAt: number;
}

/** The delivery log, as the notifier's outbox serves it. */
export interface DeliveryLog {
  list(filter: DeliveryFilter): Promise<(Delivery & { log: DeliveryAttempt[] })[]>;
}

/** What a message without alerts is about, by type. */
const MESSAGE_TYPES: Record<string, string> = { test: 'Test notification', 'alert.digest': 'Daily digest', 'report.value': 'Value report' };

const SEVERITY_ORDER: Record<string, number> = { critical: 0, warning: 1, info: 2 };
const ALERTS_SHOWN = 50;

/** Alerts firing now, most severe first, then the most recent; each dated from when its problem began. */
export async function getFiringAlerts(driver: Driver, now: number): Promise<OverviewAlert[]> {
  const alerts = await listAlerts(driver, { status: 'firing', since: now, limit: ALERTS_SHOWN });
  const starts = await Promise.all(alerts.map((a) => findProblemStart(driver, { tenant: a.labels.tenant, integration: a.labels.integration, flow: a.labels.flow, category: a.labels.category }, now)));
  return alerts
    .map((a: Alert, i) => ({
      fingerprint: a.fingerprint,
      rule: a.labels.rule,
      severity: a.labels.severity,
      category: a.labels.category,
      code: a.labels.code,
      summary: a.summary,
      tenant: a.labels.tenant,
      integration: a.labels.integration,
      flow: a.labels.flow,
      since: Math.min(a.activeSince, starts[i] ?? a.activeSince),
      inhibitedBy: a.inhibitedBy ? { rule: a.inhibitedBy.rule, summary: a.inhibitedBy.summary } : null,
    }))
    .sort((a, b) => (SEVERITY_ORDER[a.severity] ?? 3) - (SEVERITY_ORDER[b.severity] ?? 3) || b.since - a.since);
}

/** Where a delivery went, for a page an operator reads over someone's shoulder (the channel says how, without tokens). */
export const destinationOf = (target: Target): string => describeTarget(target);

function toOverviewDelivery(d: Delivery): OverviewDelivery {
  const first = d.message.alerts[0];
  return {
    id: d.id,
    status: d.status,
    type: d.message.type,
    about: first?.summary || MESSAGE_TYPES[d.message.type] || d.message.type,
    alerts: d.message.alerts.length,
    moreAlerts: Math.max(0, d.message.alerts.length - 1),
    channel: d.target.channel,
    destination: destinationOf(d.target),
    attempts: d.attempts,
    lastStatus: d.lastStatus,
    lastError: d.lastError,
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
  };
}

/** The latest deliveries and the latest dead letters (null when this process has no notifier). */
export async function getRecentDeliveries(
  log: DeliveryLog | null,
  limit: number,
): Promise<{ recent: OverviewDelivery[]; dead: OverviewDelivery[] } | null> {
  if (!log) return null;
  const [recent, dead] = await Promise.all([log.list({ limit }), log.list({ status: 'dead', limit })]);
  return { recent: recent.map(toOverviewDelivery), dead: dead.map(toOverviewDelivery) };
}
