import cliProgress from 'cli-progress';
import type { IntegrationEvent, Rejection } from '../ingest/index.js';
import type { OtlpTraceRequest } from './otlp.js';

/** Where and how to send the workload. */
export interface FeedOptions {
  /** Base URL of the syncwatch API. */
  url: string;
  /** A key with the ingest (or admin) role. */
  ingestKey: string;
  /** Events per POST /v1/events request. */
  batchSize?: number;
  /** Show a progress bar on stderr. */
  progress?: boolean;
  /** Awaited after the last request, while the bar says so (e.g. until accepted rows are in the store). */
  settle?: () => Promise<void>;
}

/** What the API answered. */
export interface FeedResult {
  sentEvents: number;
  acceptedEvents: number;
  sentSpans: number;
  acceptedSpans: number;
  /** Events refused by the API (a generator bug: the demo's events should all be valid). */
  rejected: Rejection[];
}

const MAX_TRIES = 8;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** POSTs JSON, waiting out 429/503 as the API asks (Retry-After) rather than dropping the batch. */
async function post(url: string, key: string, body: unknown): Promise<unknown> {
  const payload = JSON.stringify(body);
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: payload,
    });
    const text = await res.text();
    if (res.ok) return text === '' ? {} : JSON.parse(text);
    if ((res.status === 429 || res.status === 503) && attempt < MAX_TRIES) {
      const retryAfter = Number(res.headers.get('retry-after'));
      await sleep(Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : 500 * attempt);
      continue;
    }
    throw new Error(`POST ${new URL(url).pathname} answered ${res.status}: ${text.slice(0, 500)}`);
  }
}

/** Sends the events in batches to POST /v1/events and the spans to POST /v1/traces, over HTTP like any runner. */
export async function feedWorkload(events: readonly IntegrationEvent[], traces: OtlpTraceRequest | null, options: FeedOptions): Promise<FeedResult> {
  const batchSize = options.batchSize ?? 5_000;
  const spanCount = traces ? traces.resourceSpans.reduce((n, rs) => n + rs.scopeSpans.reduce((m, ss) => m + ss.spans.length, 0), 0) : 0;
  const result: FeedResult = { sentEvents: events.length, acceptedEvents: 0, sentSpans: spanCount, acceptedSpans: 0, rejected: [] };
  const bar = options.progress
    ? new cliProgress.SingleBar(
        {
          format: 'seeding  {bar} {percentage}% | {value}/{total} events | {duration_formatted} {phase}',
          stream: process.stderr,
          hideCursor: true,
          fps: 5,
        },
        cliProgress.Presets.shades_classic,
      )
    : null;
  bar?.start(events.length + spanCount, 0, { phase: '' });
  try {
    for (let i = 0; i < events.length; i += batchSize) {
      const batch = events.slice(i, i + batchSize);
      const answer = (await post(`${options.url}/v1/events`, options.ingestKey, batch)) as { accepted: number; rejected: Rejection[] };
      result.acceptedEvents += answer.accepted;
      result.rejected.push(...answer.rejected.map((r) => ({ ...r, index: r.index + i })));
      bar?.increment(batch.length);
    }
    if (traces) {
      const answer = (await post(`${options.url}/v1/traces`, options.ingestKey, traces)) as { partialSuccess?: { rejectedSpans?: number | string } };
      result.acceptedSpans = spanCount - Number(answer.partialSuccess?.rejectedSpans ?? 0);
      bar?.increment(spanCount);
    }
    if (options.settle) {
      bar?.update({ phase: '(writing to the store)' });
      await options.settle();
      bar?.update({ phase: '' });
    }
  } finally {
    bar?.stop();
  }
  return result;
}
