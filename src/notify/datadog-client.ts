import { AsyncLocalStorage } from 'node:async_hooks';
import { client, logger as datadogLogger, v1, v2 } from '@datadog/datadog-api-client';
import { parseRetryAfter } from './backoff.js';
import type { DeliveryResult } from './model.js';
import { describeNetworkError } from './http-post.js';

/** DD_API_KEY, DD_SITE and the base URL override SYNCWATCH_DATADOG_URL. */
export interface DatadogSettings {
  apiKey?: string;
  site: string;
  url?: string;
}

/** The official client's two APIs syncwatch uses, and a way to call them as one delivery attempt. */
export interface DatadogClient {
  events: v1.EventsApi;
  metrics: v2.MetricsApi;
  /** Runs one API call with a timeout; maps the outcome to a DeliveryResult. */
  call(timeoutMs: number, now: number, fn: () => Promise<unknown>): Promise<DeliveryResult>;
}

// Per-call state the fetch below reads and writes: the attempt's timeout in, the status and
// Retry-After of the answer out (the client's ApiException carries neither header).
interface CallScope {
  timeoutMs: number;
  status?: number;
  retryAfter?: string | null;
}
const callScope = new AsyncLocalStorage<CallScope>();

/** The client's HTTP goes through this: no redirects, a per-attempt timeout. */
const guardedFetch = async (input: string, init: RequestInit) => {
  const scope = callScope.getStore();
  const res = await fetch(input, { ...init, redirect: 'manual', signal: AbortSignal.timeout(scope?.timeoutMs ?? 10_000) });
  if (scope) {
    scope.status = res.status;
    scope.retryAfter = res.headers.get('retry-after') ?? res.headers.get('x-ratelimit-reset');
  }
  return res;
};

/**
 * Configures `@datadog/datadog-api-client` from settings, never from the environment:
 * the API key explicitly, the site as a server variable, and SYNCWATCH_DATADOG_URL as the
 * base server (tests and proxies). The client's own retries are off: the outbox retries.
 * Returns null when DD_API_KEY is unset (Datadog off).
 */
export function createDatadogClient(settings: DatadogSettings): DatadogClient | null {
  if (!settings.apiKey) return null;
  // Failures are reported as delivery results and logged by syncwatch; the client's console logger would repeat them.
  datadogLogger.setLevel('silent');
  const configuration = client.createConfiguration({
    authMethods: { apiKeyAuth: settings.apiKey, appKeyAuth: undefined },
    baseServer: settings.url ? new client.BaseServerConfiguration(settings.url.replace(/\/+$/, ''), {}) : undefined,
    fetch: guardedFetch,
    enableRetry: false,
  });
  if (!settings.url) configuration.setServerVariables({ site: settings.site });
  return {
    events: new v1.EventsApi(configuration),
    metrics: new v2.MetricsApi(configuration),
    async call(timeoutMs, now, fn) {
      const scope: CallScope = { timeoutMs };
      try {
        await callScope.run(scope, fn);
        return { ok: true, status: scope.status ?? 202, retryable: false };
      } catch (err) {
        if (err instanceof client.ApiException) {
          const status = Number(err.code);
          const retryable = status === 429 || status >= 500;
          const retryAfterMs = retryable ? parseRetryAfter(scope.retryAfter, now) : undefined;
          const hint = status >= 300 && status < 400 ? '; redirects are not followed' : status === 403 ? ' (check DD_API_KEY)' : '';
          return { ok: false, status, retryable, retryAfterMs, error: `Datadog answered ${status}${hint}` };
        }
        return { ok: false, retryable: true, error: describeNetworkError(err, timeoutMs) };
      }
    },
  };
}

