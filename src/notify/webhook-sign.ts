import { Webhook } from 'standardwebhooks';
import { z } from 'zod';

const PREFIX = 'whsec_';

/**
 * The signer of a webhook secret, per Standard Webhooks (the official `standardwebhooks`
 * library): a `whsec_` secret's key is the base64 decoding of what follows the prefix. The
 * API takes only `whsec_` secrets; a plain secret stored before that rule keeps signing with
 * its UTF-8 bytes (the library's `raw` format), so existing receivers keep verifying.
 */
function signer(secret: string): Webhook {
  return secret.startsWith(PREFIX) ? new Webhook(secret) : new Webhook(secret, { format: 'raw' });
}

/** `v1,<base64 HMAC-SHA256(key, "${id}.${timestamp}.${body}")>`. */
export function signWebhook(secret: string, id: string, timestampSeconds: number, body: string): string {
  return signer(secret).sign(id, new Date(timestampSeconds * 1000), body);
}

/** The Standard Webhooks headers of one attempt: the id is the message id, stable across retries. */
export function webhookHeaders(secret: string, id: string, timestampSeconds: number, body: string): Record<string, string> {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': signWebhook(secret, id, timestampSeconds, body),
  };
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * A webhook secret as subscriptions and the test call accept it: `whsec_` + the base64 of
 * 16–64 random bytes, the form the official libraries verify with as given (surrounding
 * whitespace is trimmed). Anything else is refused with how to make one, rather than kept
 * in a form the receiver's library would read differently.
 */
export const webhookSecretSchema = z
  .string()
  .trim()
  .max(256, 'must be at most 256 characters')
  .refine((s) => s.startsWith(PREFIX), {
    message: `must be a Standard Webhooks secret: "${PREFIX}" followed by the base64 of 16 to 64 random bytes (e.g. node -e "console.log('${PREFIX}' + require('crypto').randomBytes(32).toString('base64'))")`,
  })
  .refine((s) => {
    const b64 = s.slice(PREFIX.length);
    const key = Buffer.from(b64, 'base64');
    return !s.startsWith(PREFIX) || (BASE64.test(b64) && key.length >= 16 && key.length <= 64);
  }, `a ${PREFIX} secret must be followed by the base64 of 16 to 64 random bytes`);
