import { SpanStatusCode, type Attributes, type Exception, type Span } from '@opentelemetry/api';
import { OTEL_ATTR, SDK_ATTR } from './attributes.js';

/** The three failure categories (docs/classification.md): who can act on a failure. */
export type FailureCategory = 'infra' | 'endpoint' | 'data';

/** An explicit classification; the server uses it as is instead of inferring one. */
export interface FailureInfo {
  category: FailureCategory;
  /** Finer, snake_case code, e.g. `validation`, `rate_limited`. */
  code?: string;
}

/** Options of a {@link SyncwatchError}. */
export interface SyncwatchErrorOptions {
  /** Explicit category; without it the server infers one from the other fields. */
  category?: FailureCategory;
  /** With a category: the failure code. Without one: a hint the server's rules read as `error.type`. */
  code?: string;
  /** HTTP status the integrated system answered. */
  status?: number;
  /** The `Retry-After` the integrated system sent (seconds or an HTTP date). */
  retryAfter?: number | string;
  cause?: unknown;
}

/** An error a runner throws from a record callback to say what went wrong and whose problem it is. */
export class SyncwatchError extends Error {
  override readonly name = 'SyncwatchError';
  readonly category?: FailureCategory;
  readonly code?: string;
  readonly status?: number;
  readonly retryAfter?: number | string;

  constructor(message: string, options: SyncwatchErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.category = options.category;
    this.code = options.code;
    this.status = options.status;
    this.retryAfter = options.retryAfter;
  }
}

const CATEGORIES: readonly string[] = ['infra', 'endpoint', 'data'];
const MAX_MESSAGE = 4000;

type Bag = Record<string, unknown>;
const asBag = (v: unknown): Bag | undefined => (typeof v === 'object' && v !== null ? (v as Bag) : undefined);

/** The error and its causes (and an AggregateError's first error), nearest first, at most 4 deep. */
function chain(error: unknown): Bag[] {
  const out: Bag[] = [];
  let e = asBag(error);
  while (e && out.length < 4 && !out.includes(e)) {
    out.push(e);
    e = asBag(e.cause) ?? (Array.isArray(e.errors) ? asBag(e.errors[0]) : undefined);
  }
  return out;
}

function httpStatusOf(e: Bag): number | undefined {
  const response = asBag(e.response);
  for (const candidate of [e.status, e.statusCode, response?.status, response?.statusCode]) {
    const n = typeof candidate === 'string' ? Number(candidate) : candidate;
    if (typeof n === 'number' && Number.isInteger(n) && n >= 100 && n <= 599) return n;
  }
  return undefined;
}

function header(headers: unknown, name: string): string | undefined {
  const h = asBag(headers);
  if (!h) return undefined;
  const raw = typeof h.get === 'function' ? (h.get as (n: string) => unknown).call(h, name) : (h[name] ?? h[name.replace(/(^|-)\w/g, (c) => c.toUpperCase())]);
  const value = Array.isArray(raw) ? raw[0] : raw;
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}

function retryAfterOf(e: Bag): string | undefined {
  if (typeof e.retryAfter === 'number' || typeof e.retryAfter === 'string') return String(e.retryAfter);
  return header(asBag(e.response)?.headers, 'retry-after') ?? header(e.headers, 'retry-after');
}

/** A human message for the span status: the error's message (and its cause's, e.g. `fetch failed: connect ECONNREFUSED …`), bounded. */
export function messageOf(error: unknown): string {
  const e = asBag(error);
  let message = typeof e?.message === 'string' ? e.message : String(error);
  const cause = asBag(e?.cause)?.message;
  if (typeof cause === 'string' && cause !== '' && !message.includes(cause)) message = `${message}: ${cause}`;
  return message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE - 1)}…` : message;
}

/**
 * The attributes that let the server classify a failure (docs/classification.md#what-the-rules-read).
 * The SDK does not classify itself: it only reports what the error says — an explicit
 * category/code, the HTTP status, a system error code (`ECONNREFUSED`…), a `Retry-After`,
 * the remote address.
 */
export function failureAttributes(error: unknown, explicit?: FailureInfo): Attributes {
  const out: Attributes = {};
  const errors = chain(error);
  const first = errors[0];
  const own = first && typeof first.category === 'string' && CATEGORIES.includes(first.category)
    ? { category: first.category as FailureCategory, code: typeof first.code === 'string' ? first.code : undefined }
    : undefined;
  const failure = explicit ?? own;
  if (failure) {
    out[SDK_ATTR.failureCategory] = failure.category;
    if (failure.code) out[SDK_ATTR.failureCode] = failure.code;
  }

  const status = errors.map(httpStatusOf).find((s) => s !== undefined);
  if (status !== undefined) out[OTEL_ATTR.httpStatus] = status;
  const retryAfter = errors.map(retryAfterOf).find((r) => r !== undefined);
  // Semantic conventions record response headers as string arrays.
  if (retryAfter !== undefined) out[OTEL_ATTR.retryAfter] = [retryAfter];

  // A code already used as the failure code is not also an error type.
  const coded = errors.find((e, i) => typeof e.code === 'string' && e.code !== '' && !(i === 0 && own));
  const named = errors.find((e) => typeof e.name === 'string' && e.name !== 'Error' && e.name !== 'SyncwatchError');
  const errorType = coded ? (coded.code as string) : named ? (named.name as string) : undefined;
  if (errorType) out[OTEL_ATTR.errorType] = errorType;

  // Node system errors name the remote end; that marks the failure as an outbound call.
  const remote = errors.find((e) => typeof e.address === 'string' && e.address !== '');
  if (remote) {
    out[OTEL_ATTR.serverAddress] = remote.address as string;
    if (typeof remote.port === 'number') out[OTEL_ATTR.serverPort] = remote.port;
  }
  return out;
}

/** Marks a span failed: status ERROR with the message, the exception event, and the failure attributes. */
export function markFailed(span: Span, error: unknown, explicit?: FailureInfo): void {
  const e = asBag(error);
  span.recordException(e ? (e as unknown as Exception) : String(error));
  span.setAttributes(failureAttributes(error, explicit));
  span.setStatus({ code: SpanStatusCode.ERROR, message: messageOf(error) });
}
