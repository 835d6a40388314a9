import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { z } from 'zod';
import { parseRetryAfter } from './backoff.js';
import type { DeliveryResult } from './model.js';
import { checkWebhookUrl, WebhookUrlError, type HostLookup, type ResolvedAddress } from './ssrf.js';

// Outbound HTTP shared by every channel that POSTs JSON to a URL (webhooks, Slack, Teams,
// PagerDuty): the SSRF guard, pinned addresses, no redirects, a bounded answer.

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  /** The first `keep` bytes of the answer, when the caller asked to keep them (an API whose answer carries an id). */
  body: string;
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
function post(url: URL, addresses: ResolvedAddress[] | null, headers: Record<string, string>, body: string, timeoutMs: number, keep = 0): Promise<Answer> {
  const request = url.protocol === 'https:' ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        ...(addresses ? { lookup: pinnedLookup(addresses) } : {}),
        signal: AbortSignal.timeout(timeoutMs),
        // A fresh connection per attempt: a pooled socket would skip the address check.
        agent: false,
      },
      (res) => {
        let size = 0;
        const kept: Buffer[] = [];
        const done = () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(kept).toString('utf8') });
        res.on('data', (chunk: Buffer) => {
          if (size < keep) kept.push(chunk.subarray(0, keep - size));
          size += chunk.length;
          // A receiver streaming an endless answer does not hold the attempt.
          if (size >= Math.max(READ_BYTES, keep)) {
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

/** How one JSON POST of a channel is made. */
export interface PostOptions {
  /** SYNCWATCH_WEBHOOK_ALLOW (customer URLs); null: an operator-configured URL, not checked. */
  allow: readonly string[] | null;
  lookup?: HostLookup;
  timeoutMs: number;
  now: number;
}

/**
 * POSTs a JSON body and maps the answer to a delivery result. A customer-supplied URL
 * (`allow` given) is checked by the SSRF guard first, and the connection goes only to the
 * checked addresses.
 */
export async function postJson(rawUrl: string, headers: Record<string, string>, body: string, opts: PostOptions): Promise<DeliveryResult> {
  return (await postJsonAnswer(rawUrl, headers, body, opts, 0)).result;
}

/** {@link postJson}, keeping the first `keep` bytes of the answer (for an API that answers with an id to use later, like Slack's message ts). */
export async function postJsonAnswer(rawUrl: string, headers: Record<string, string>, body: string, opts: PostOptions, keep: number): Promise<{ result: DeliveryResult; body: string }> {
  let url: URL;
  let addresses: ResolvedAddress[] | null = null;
  try {
    if (opts.allow) {
      const checked = await checkWebhookUrl(rawUrl, opts.allow, opts.lookup);
      url = checked.url;
      addresses = checked.addresses;
    } else {
      url = new URL(rawUrl);
    }
  } catch (err) {
    if (err instanceof WebhookUrlError) return { result: { ok: false, retryable: err.retryable, error: err.message }, body: '' };
    return { result: { ok: false, retryable: false, error: 'invalid URL' }, body: '' };
  }
  try {
    const answer = await post(url, addresses, { 'content-type': 'application/json', 'user-agent': 'syncwatch-webhooks/1', ...headers }, body, opts.timeoutMs, keep);
    const retryAfter = answer.headers['retry-after'];
    return { result: resultOfStatus(answer.status, Array.isArray(retryAfter) ? retryAfter[0] : retryAfter, opts.now), body: answer.body };
  } catch (err) {
    return { result: { ok: false, retryable: true, error: describeNetworkError(err, opts.timeoutMs) }, body: '' };
  }
}

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
 * A customer's URL as syncwatch accepts it: http(s), and no `user:password@` — a password
 * there would be stored, shown back and logged like any other part of the URL; a webhook's
 * signing secret (or a Slack or Teams URL's own token) is how a receiver knows the caller.
 */
export const customerUrlSchema = (message = 'must be an http or https URL', max = 2048) =>
  z
    .url({ protocol: /^https?$/, message })
    .max(max)
    .refine((url) => !hasCredentials(url), 'must not carry credentials (user:password@); the receiver checks the signature instead');

/** A webhook URL as syncwatch accepts it (see customerUrlSchema). */
export const webhookUrlSchema = customerUrlSchema();

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

/** A URL's host only (customers' URLs often carry tokens in the path). */
export function hostOf(raw: string): string {
  try {
    return new URL(raw).host;
  } catch {
    return '(invalid URL)';
  }
}
