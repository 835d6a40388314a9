import { createHmac } from 'node:crypto';
import { z } from 'zod';

/**
 * The HMAC key of a webhook secret, per Standard Webhooks: a `whsec_` secret's key is the
 * base64 decoding of what follows the prefix; any other secret is used as its UTF-8 bytes.
 */
export function webhookSigningKey(secret: string): Buffer {
  return secret.startsWith('whsec_') ? Buffer.from(secret.slice('whsec_'.length), 'base64') : Buffer.from(secret, 'utf8');
}

/** `v1,<base64 HMAC-SHA256(key, "${id}.${timestamp}.${body}")>`. */
export function signWebhook(secret: string, id: string, timestampSeconds: number, body: string): string {
  const mac = createHmac('sha256', webhookSigningKey(secret)).update(`${id}.${timestampSeconds}.${body}`).digest('base64');
  return `v1,${mac}`;
}

/** The Standard Webhooks headers of one attempt: the id is the message id, stable across retries. */
export function webhookHeaders(secret: string, id: string, timestampSeconds: number, body: string): Record<string, string> {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': signWebhook(secret, id, timestampSeconds, body),
  };
}

/** A webhook secret as subscriptions and the test call accept it: `whsec_` + base64 of 16–64 bytes, or 16–256 characters. */
export const webhookSecretSchema = z
  .string()
  .min(16, 'must be at least 16 characters (a whsec_… secret or a random string)')
  .max(256, 'must be at most 256 characters')
  .refine((s) => {
    if (!s.startsWith('whsec_')) return true;
    const b64 = s.slice('whsec_'.length);
    const key = Buffer.from(b64, 'base64');
    return /^[A-Za-z0-9+/]+={0,2}$/.test(b64) && key.length >= 16 && key.length <= 64;
  }, 'a whsec_ secret must be followed by the base64 of 16 to 64 random bytes');
