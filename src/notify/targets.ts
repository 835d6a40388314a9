import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Target } from './model.js';
import { webhookSecretSchema } from './webhook-sign.js';

/** Whether a URL carries `user:password@`. */
export function hasCredentials(raw: string): boolean {
  try {
    const url = new URL(raw);
    return url.username !== '' || url.password !== '';
  } catch {
    return false;
  }
}

/**
 * A webhook URL as syncwatch accepts it: http(s), and no `user:password@` — a password
 * there would be stored, shown back and logged like any other part of the URL; the
 * signing secret is how a receiver knows a call is from syncwatch.
 */
export const webhookUrlSchema = z
  .url({ protocol: /^https?$/, message: 'must be an http or https URL' })
  .max(2048)
  .refine((url) => !hasCredentials(url), 'must not carry credentials (user:password@); the receiver checks the signature instead');

/** A target as the API accepts it (POST /v1/notifications/test; subscriptions reuse the parts). */
export const targetSchema = z.discriminatedUnion('channel', [
  z.strictObject({
    channel: z.literal('email'),
    to: z.array(z.email('must be an email address')).min(1, 'must name at least one address').max(50, 'at most 50 addresses'),
  }),
  z.strictObject({
    channel: z.literal('webhook'),
    url: webhookUrlSchema,
    secret: webhookSecretSchema,
  }),
  z.strictObject({ channel: z.literal('datadog') }),
]);

/** What identifies a target for de-duplication: the addresses, the URL, or the channel itself. */
function targetKey(target: Target): string {
  switch (target.channel) {
    case 'email':
      return `email:${[...new Set(target.to.map((a) => a.trim().toLowerCase()))].sort().join(',')}`;
    case 'webhook':
      return `webhook:${target.url}`;
    case 'datadog':
      return 'datadog';
  }
}

/** The delivery id: the idempotency key of (message id, target), the same whoever enqueues it and however often. */
export function deliveryId(messageId: string, target: Target): string {
  return `dlv_${createHash('sha256').update(`${messageId}\n${targetKey(target)}`).digest('hex').slice(0, 32)}`;
}

/** A URL without `user:password@` (subscriptions saved before credentials were refused are shown so). */
export function withoutCredentials(raw: string): string {
  if (!hasCredentials(raw)) return raw;
  const url = new URL(raw);
  url.username = '';
  url.password = '';
  return url.toString();
}

/**
 * A webhook URL for logs and the delivery log: no credentials (user:password@), and every
 * query value replaced (receivers often take their token as `?token=`).
 */
export function redactUrl(raw: string): string {
  try {
    const url = new URL(raw);
    url.username = '';
    url.password = '';
    for (const key of new Set(url.searchParams.keys())) url.searchParams.set(key, 'redacted');
    return url.toString();
  } catch {
    return '(invalid URL)';
  }
}

/** A target as the API shows it: addresses and URLs, never secrets. */
export function publicTarget(target: Target): Record<string, unknown> {
  switch (target.channel) {
    case 'email':
      return { channel: 'email', to: target.to };
    case 'webhook':
      return { channel: 'webhook', url: redactUrl(target.url) };
    case 'datadog':
      return { channel: 'datadog' };
  }
}
