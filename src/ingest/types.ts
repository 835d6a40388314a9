/** The three failure categories: who can act on a failure (defined with the rest of the vocabulary). */
export { FAILURE_CATEGORIES, type FailureCategory } from '../vocabulary/index.js';
import type { FailureCategory } from '../vocabulary/index.js';

/** A classified failure: exactly one category plus a finer code. */
export interface Failure {
  category: FailureCategory;
  code: string;
  message: string;
}

/** What classification reads from an event's `error` or a span's attributes, status and exception events. */
export interface FailureSignals {
  /** Explicit `failure.category` / `error.category`: always wins when valid. */
  category?: string;
  /** Explicit `failure.code` / `error.code`. */
  code?: string;
  /** Human message: span status message, exception message, event error message. */
  message?: string;
  /** `http.response.status_code` or `error.http_status`. */
  httpStatus?: number;
  /** `error.type` or the exception's type (e.g. `ECONNREFUSED`, `TimeoutError`). */
  errorType?: string;
  /** A `Retry-After` was seen on the failed call. */
  retryAfter?: boolean;
  /** The failure happened on an outbound call (client span, or HTTP client attributes present). */
  outbound?: boolean;
  /** Process exit code when the runner reports one (137 = killed, usually out of memory). */
  exitCode?: number;
  /** The event's integration: vendor rules apply only to their integrations. */
  integration?: string;
  /** `server.address` of the failed call: loopback/private means the runner's own dependency. */
  serverAddress?: string;
  /** `url.full` of the failed call (its host is used when `server.address` is absent). */
  url?: string;
  /** Other attributes rules may match (`http.request.resend_count`, a vendor's rate-limit header, …). */
  attributes?: Record<string, string>;
}

/** One decoded OpenTelemetry span, transport-neutral (protobuf and JSON decode to this). */
export interface DecodedSpan {
  traceId: string; // lower-case hex
  spanId: string; // lower-case hex
  parentSpanId: string; // '' for a root span
  traceState: string;
  name: string;
  /** As the Collector's ClickHouse exporter writes it: Unspecified, Internal, Server, Client, Producer, Consumer. */
  kind: string;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  /** Attribute values as strings, like the exporter (non-strings rendered: ints, bools, JSON for arrays/maps). */
  attributes: Record<string, string>;
  resourceAttributes: Record<string, string>;
  serviceName: string;
  scopeName: string;
  scopeVersion: string;
  /** Unset, Ok or Error. */
  statusCode: string;
  statusMessage: string;
  events: { timeUnixNano: bigint; name: string; attributes: Record<string, string> }[];
  links: { traceId: string; spanId: string; traceState: string; attributes: Record<string, string> }[];
}
