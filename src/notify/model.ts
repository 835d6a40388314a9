/**
 * What a notification says about one alert. The alerts capability's Alert has all of
 * this (and more); notify needs no more, and so does not depend on alerts.
 */
export interface NotifiedAlert {
  fingerprint: string;
  labels: {
    rule: string;
    severity: 'info' | 'warning' | 'critical';
    /** A failure category (infra, endpoint, data), or health / success. */
    category: string;
    code: string;
    audience: ('tenant' | 'operator')[];
    tenant: string;
    integration: string;
    flow: string;
  };
  summary: string;
  action: string;
  records: { id: string; message: string }[];
  valueAtRisk: { amount: number; currency: string } | null;
  /** Records failed in the rule's window and how many synced since, when the rule counts them. */
  figures?: { records: number; recovered: number };
  status: 'pending' | 'firing' | 'resolved';
  activeSince: number;
  firedAt: number | null;
  resolvedAt: number | null;
  version: number;
}

/** What is sent: one or more alerts grouped into one message, a digest, a report or a test. */
export interface NotificationMessage {
  /** alert.updated: a group still firing grew materially since its last message (docs/alerts.md#messages-that-stay-current). */
  type: 'alert.firing' | 'alert.updated' | 'alert.resolved' | 'alert.digest' | 'report.value' | 'test';
  /** Stable id: the webhook-id and the idempotency key, the same across retries. */
  id: string;
  /** Group key: one partner outage across 40 tenants is one operator message. */
  groupKey: string;
  audience: 'tenant' | 'operator';
  tenant: string | null;
  alerts: NotifiedAlert[];
  /** Free-form payload for non-alert types (report figures). */
  data?: Record<string, unknown>;
  createdAt: number;
}

/** The outcome of one delivery attempt. */
export interface DeliveryResult {
  ok: boolean;
  /** HTTP status or SMTP code, when there was one. */
  status?: number;
  /** Retry later? (5xx, 429, network errors: yes; other 4xx: no.) */
  retryable: boolean;
  /** Honour the receiver's Retry-After. */
  retryAfterMs?: number;
  error?: string;
}

/** Context of one attempt. */
export interface DeliveryContext {
  attempt: number;
  timeoutMs: number;
  now: number;
}

/** Every channel implements this one signature, for its own kind of target (see registry.ts). */
export type Channel<T> = (target: T, message: NotificationMessage, ctx: DeliveryContext) => Promise<DeliveryResult>;

/**
 * Where a delivery stands: pending (will be tried, maybe again), delivered (2xx/250), dead
 * (given up), or superseded (a later transition of the same alerts to the same target was
 * queued before this one could be delivered: it is never sent, so a receiver coming back
 * from an outage never gets a stale "firing" after the "resolved").
 */
export type DeliveryStatus = 'pending' | 'delivered' | 'dead' | 'superseded';
export const DELIVERY_STATUSES = ['pending', 'delivered', 'dead', 'superseded'] as const;

/**
 * A record named in an alert. Alerts carry `{id, message}`; when they also carry the
 * `run` the record failed in, emails and webhooks link that run's report.
 */
export interface NotifiedRecord {
  id: string;
  message: string;
  run?: string;
}
