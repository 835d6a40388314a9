import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { Links } from '../links.js';
import { parseRetryAfter } from './backoff.js';
import type { Channel, DeliveryResult } from './model.js';
import { checkWebhookUrl, WebhookUrlError, type HostLookup, type ResolvedAddress } from './ssrf.js';
import { webhookPayload } from './view.js';
import { webhookHeaders } from './webhook-sign.js';

/** What the webhook channel needs. */
export interface WebhookChannelOptions {
  /** SYNCWATCH_WEBHOOK_ALLOW. */
  allow: readonly string[];
  links: Links;
  /** DNS resolution (tests inject one). */
  lookup?: HostLookup;
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
}

/** Bytes of a receiver's answer read before the attempt ends (the answer itself is not kept). */
const READ_BYTES = 512;

/** A lookup that only ever returns the addresses the SSRF guard approved (no DNS rebinding between check and connect). */
function pinnedLookup(addresses: ResolvedAddress[]): LookupFunction {
  return ((_host: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options?.all) callback(null, addresses);
    else callback(null, addresses[0].address, addresses[0].family);
  }) as unknown as LookupFunction;
}

/** One POST, no redirects followed, the whole exchange bounded by the timeout. */
function post(url: URL, addresses: ResolvedAddress[], headers: Record<string, string>, body: string, timeoutMs: number): Promise<Answer> {
  const request = url.protocol === 'https:' ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        lookup: pinnedLookup(addresses),
        signal: AbortSignal.timeout(timeoutMs),
        // A fresh connection per attempt: a pooled socket would skip the address check.
        agent: false,
      },
      (res) => {
        let size = 0;
        const done = () => resolve({ status: res.statusCode ?? 0, headers: res.headers });
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          // A receiver streaming an endless answer does not hold the attempt.
          if (size >= READ_BYTES) {
            res.destroy();
            done();
          }
        });
        res.on('end', done);
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Why a request did not get an answer, without the URL (it may carry a token). */
export function describeNetworkError(err: unknown, timeoutMs: number): string {
  const e = err as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError' || e?.cause?.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
  const code = e?.code ?? e?.cause?.code;
  return code ? `network error: ${code}` : `network error: ${e?.message ?? String(err)}`;
}

/**
 * Maps an HTTP answer to a delivery result: 2xx ok; 429/5xx retry (Retry-After honoured); 3xx
 * and other 4xx do not. The answer's body is not kept: receivers echo tokens and request
 * details in their errors, and the delivery log is shown on pages — the status code says enough.
 */
export function resultOfStatus(status: number, retryAfter: string | null | undefined, now: number): DeliveryResult {
  if (status >= 200 && status < 300) return { ok: true, status, retryable: false };
  if (status >= 300 && status < 400) return { ok: false, status, retryable: false, error: `receiver answered ${status}; redirects are not followed` };
  const retryable = status === 429 || status >= 500;
  return { ok: false, status, retryable, retryAfterMs: retryable ? parseRetryAfter(retryAfter, now) : undefined, error: `receiver answered ${status}` };
}

/**
 * The webhook channel: a JSON body signed per Standard Webhooks (webhook-id = the message
 * id, the same on every retry, so receivers can de-duplicate). The URL is checked by the
 * SSRF guard before every attempt and the connection goes only to the checked addresses.
 */
export function createWebhookChannel(options: WebhookChannelOptions): Channel {
  return async (target, message, ctx) => {
    if (target.channel !== 'webhook') return { ok: false, retryable: false, error: `not a webhook target: ${target.channel}` };
    let checked;
    try {
      checked = await checkWebhookUrl(target.url, options.allow, options.lookup);
    } catch (err) {
      if (err instanceof WebhookUrlError) return { ok: false, retryable: err.retryable, error: err.message };
      throw err;
    }
    const body = JSON.stringify(webhookPayload(message, options.links));
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'syncwatch-webhooks/1',
      ...webhookHeaders(target.secret, message.id, Math.floor(ctx.now / 1000), body),
    };
    try {
      const answer = await post(checked.url, checked.addresses, headers, body, ctx.timeoutMs);
      const retryAfter = answer.headers['retry-after'];
      return resultOfStatus(answer.status, Array.isArray(retryAfter) ? retryAfter[0] : retryAfter, ctx.now);
    } catch (err) {
      return { ok: false, retryable: true, error: describeNetworkError(err, ctx.timeoutMs) };
    }
  };
}
