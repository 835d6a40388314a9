import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { parseRetryAfter } from './backoff.js';
import type { DeliveryResult } from './model.js';
import { checkWebhookUrl, WebhookUrlError, type HostLookup, type ResolvedAddress } from './ssrf.js';

// Outbound HTTP shared by every channel that POSTs JSON to a URL (webhooks, Slack, Teams,
// PagerDuty): the SSRF guard, pinned addresses, no redirects, a bounded answer.

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Bytes of a receiver's answer kept for the delivery log. */
const KEEP_BYTES = 512;

/** A lookup that only ever returns the addresses the SSRF guard approved (no DNS rebinding between check and connect). */
function pinnedLookup(addresses: ResolvedAddress[]): LookupFunction {
  return ((_host: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options?.all) callback(null, addresses);
    else callback(null, addresses[0].address, addresses[0].family);
  }) as unknown as LookupFunction;
}

/** One POST, no redirects followed, the whole exchange bounded by the timeout. */
function post(url: URL, addresses: ResolvedAddress[] | null, headers: Record<string, string>, body: string, timeoutMs: number): Promise<Answer> {
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
        const chunks: Buffer[] = [];
        let size = 0;
        const done = () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8').slice(0, KEEP_BYTES) });
        res.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          size += chunk.length;
          // Enough to log; a receiver streaming an endless answer does not hold the attempt.
          if (size >= KEEP_BYTES) {
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

/** Maps an HTTP answer to a delivery result: 2xx ok; 429/5xx retry (Retry-After honoured); 3xx and other 4xx do not. */
export function resultOfStatus(status: number, retryAfter: string | null | undefined, body: string, now: number): DeliveryResult {
  if (status >= 200 && status < 300) return { ok: true, status, retryable: false };
  const detail = body.trim() ? `: ${body.trim().replace(/\s+/g, ' ').slice(0, 200)}` : '';
  if (status >= 300 && status < 400) return { ok: false, status, retryable: false, error: `receiver answered ${status}; redirects are not followed` };
  const retryable = status === 429 || status >= 500;
  return { ok: false, status, retryable, retryAfterMs: retryable ? parseRetryAfter(retryAfter, now) : undefined, error: `receiver answered ${status}${detail}` };
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
    if (err instanceof WebhookUrlError) return { ok: false, retryable: err.retryable, error: err.message };
    return { ok: false, retryable: false, error: 'invalid URL' };
  }
  try {
    const answer = await post(url, addresses, { 'content-type': 'application/json', 'user-agent': 'syncwatch-webhooks/1', ...headers }, body, opts.timeoutMs);
    const retryAfter = answer.headers['retry-after'];
    return resultOfStatus(answer.status, Array.isArray(retryAfter) ? retryAfter[0] : retryAfter, answer.body, opts.now);
  } catch (err) {
    return { ok: false, retryable: true, error: describeNetworkError(err, opts.timeoutMs) };
  }
}

/** A URL without credentials in it (user:password@), for logs and the API. */
export function redactUrl(raw: string): string {
  try {
    const url = new URL(raw);
    url.username = '';
    url.password = '';
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
