import type { Alert } from '../alerts/model.js';

/** Where a notification goes. Secrets stay server-side (never in API responses or logs). */
export type Target =
  | { channel: 'email'; to: string[] }
  | { channel: 'webhook'; url: string; secret: string }
  | { channel: 'datadog' };

/** What is sent: one or more alerts grouped into one message, a digest, a report or a test. */
export interface NotificationMessage {
  type: 'alert.firing' | 'alert.resolved' | 'alert.digest' | 'report.value' | 'test';
  /** Stable id: the webhook-id and the idempotency key, the same across retries. */
  id: string;
  /** Group key: one partner outage across 40 tenants is one operator message. */
  groupKey: string;
  audience: 'tenant' | 'operator';
  tenant: string | null;
  alerts: Alert[];
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

/** Every channel implements this one signature , registered in one map. */
export type Channel = (target: Target, message: NotificationMessage, ctx: DeliveryContext) => Promise<DeliveryResult>;

/** The channel types: the keys of the channel registry. */
export type ChannelType = Target['channel'];

/** The registry: adding a channel is one entry . */
export type ChannelRegistry = Record<ChannelType, Channel>;

/** Where a delivery stands: pending (will be tried, maybe again), delivered (2xx/250), dead (given up). */
export type DeliveryStatus = 'pending' | 'delivered' | 'dead';

/**
 * A record named in an alert. Alerts carry `{id, message}`; when they also carry the
 * `run` the record failed in, emails and webhooks link that run's report.
 */
export interface NotifiedRecord {
  id: string;
  message: string;
  run?: string;
}
