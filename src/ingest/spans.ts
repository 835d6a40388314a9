import { toChTime, toChTimeNanos, type EventRow, type SpanRow } from '../store/index.js';
import { classify, type ClassificationRules } from './classify.js';
import { LIMITS } from './events.js';
import type { DecodedSpan, FailureSignals } from './types.js';

/** Most attributes one span may carry (span + resource); more is refused, not truncated. */
export const MAX_SPAN_ATTRIBUTES = 256;

/** The attributes of DESIGN.md §4.1. */
export const ATTR = {
  tenant: 'tenant.id',
  integration: 'integration.id',
  connection: 'integration.connection.id',
  flow: 'integration.flow',
  run: 'integration.run.id',
  recordsTotal: 'integration.run.records_total',
  record: 'record.id',
  recordType: 'record.type',
  recordValue: 'record.value',
  recordCurrency: 'record.currency',
  recordStatus: 'record.status',
  skipReason: 'record.skip_reason',
  failureCategory: 'failure.category',
  failureCode: 'failure.code',
  /** Set by the syncwatch SDK: `run` or `record`; other runtimes are recognised by their attributes. */
  role: 'syncwatch.span',
} as const;

/** Spans mapped for the store: whole spans, the integration events they imply, and refused spans. */
export interface MappedSpans {
  spanRows: SpanRow[];
  eventRows: EventRow[];
  rejected: { spanId: string; error: string }[];
}

const attr = (s: DecodedSpan, key: string): string | undefined => s.attributes[key] ?? s.resourceAttributes[key];

function spanRow(s: DecodedSpan): SpanRow {
  return {
    Timestamp: toChTimeNanos(s.startTimeUnixNano),
    TraceId: s.traceId,
    SpanId: s.spanId,
    ParentSpanId: s.parentSpanId,
    TraceState: s.traceState,
    SpanName: s.name,
    SpanKind: s.kind,
    ServiceName: s.serviceName,
    ResourceAttributes: s.resourceAttributes,
    ScopeName: s.scopeName,
    ScopeVersion: s.scopeVersion,
    SpanAttributes: s.attributes,
    Duration: (s.endTimeUnixNano > s.startTimeUnixNano ? s.endTimeUnixNano - s.startTimeUnixNano : 0n).toString(),
    StatusCode: s.statusCode,
    StatusMessage: s.statusMessage,
    'Events.Timestamp': s.events.map((e) => toChTimeNanos(e.timeUnixNano)),
    'Events.Name': s.events.map((e) => e.name),
    'Events.Attributes': s.events.map((e) => e.attributes),
    'Links.TraceId': s.links.map((l) => l.traceId),
    'Links.SpanId': s.links.map((l) => l.spanId),
    'Links.TraceState': s.links.map((l) => l.traceState),
    'Links.Attributes': s.links.map((l) => l.attributes),
  };
}

/** What classification reads from a failed span: its status, HTTP attributes and exception events. */
export function failureSignals(s: DecodedSpan): FailureSignals {
  const exception = s.events.find((e) => e.name === 'exception');
  const status = Number(attr(s, 'http.response.status_code') ?? attr(s, 'http.status_code'));
  const exit = Number(attr(s, 'process.exit.code'));
  return {
    category: attr(s, ATTR.failureCategory),
    code: attr(s, ATTR.failureCode),
    message: s.statusMessage || exception?.attributes['exception.message'] || '',
    httpStatus: Number.isInteger(status) && status > 0 ? status : undefined,
    // error.type is often just the status code ("500"); the exception's type says more then.
    errorType: pickErrorType(attr(s, 'error.type'), exception?.attributes['exception.type']),
    retryAfter: s.attributes['http.response.header.retry-after'] !== undefined,
    outbound: s.kind === 'Client' || attr(s, 'url.full') !== undefined || attr(s, 'server.address') !== undefined,
    exitCode: Number.isInteger(exit) ? exit : undefined,
    integration: attr(s, ATTR.integration),
    serverAddress: attr(s, 'server.address'),
    url: attr(s, 'url.full'),
    attributes: s.attributes,
  };
}

function pickErrorType(errorType: string | undefined, exceptionType: string | undefined): string | undefined {
  if (errorType === undefined || errorType === '_OTHER') return exceptionType ?? errorType;
  return /^\d{3}$/.test(errorType) && exceptionType ? exceptionType : errorType;
}

function roleOf(s: DecodedSpan, runSpanIds: Set<string>): 'run' | 'record' | null {
  const explicit = s.attributes[ATTR.role];
  if (explicit === 'run' || explicit === 'record') return explicit;
  if (s.attributes[ATTR.record] !== undefined) return 'record';
  // A run span carries the run id itself and has no parent that is also a run span.
  if (s.attributes[ATTR.run] !== undefined && !runSpanIds.has(s.parentSpanId)) return 'run';
  return null;
}

function checkSpan(s: DecodedSpan, now: number): string | null {
  const startMs = Number(s.startTimeUnixNano / 1_000_000n);
  if (startMs < LIMITS.earliestTime) return 'startTimeUnixNano is before 2000-01-01';
  if (startMs > now + LIMITS.maxFutureMs) return 'startTimeUnixNano is more than 24 hours in the future';
  if (Object.keys(s.attributes).length + Object.keys(s.resourceAttributes).length > MAX_SPAN_ATTRIBUTES) {
    return `more than ${MAX_SPAN_ATTRIBUTES} attributes`;
  }
  return null;
}

/**
 * Maps decoded spans to whole-span rows plus the integration events a run or record
 * span implies (run.started/succeeded/failed, record.synced/failed/skipped).
 */
export function mapSpans(spans: DecodedSpan[], rules: ClassificationRules, now = Date.now()): MappedSpans {
  const out: MappedSpans = { spanRows: [], eventRows: [], rejected: [] };
  const receivedAt = toChTime(now);
  const runSpanIds = new Set(spans.filter((s) => s.attributes[ATTR.run] !== undefined && !s.attributes[ATTR.record]).map((s) => s.spanId));
  for (const s of spans) {
    const problem = checkSpan(s, now);
    if (problem) {
      out.rejected.push({ spanId: s.spanId, error: problem });
      continue;
    }
    out.spanRows.push(spanRow(s));
    const role = roleOf(s, runSpanIds);
    const tenant = attr(s, ATTR.tenant);
    const integration = attr(s, ATTR.integration);
    if (!role || !tenant || !integration) continue;

    const failed = s.statusCode === 'Error';
    const signals = failureSignals(s);
    const failure = failed ? classify(signals, rules) : null;
    const valueText = attr(s, ATTR.recordValue);
    const value = valueText === undefined ? NaN : Number(valueText);
    const hasValue = role === 'record' && Number.isFinite(value);
    const endMs = Number(s.endTimeUnixNano / 1_000_000n);
    const base: EventRow = {
      event_id: `span:${s.traceId}${s.spanId}`,
      type: '',
      ts: toChTime(endMs),
      received_at: receivedAt,
      tenant,
      integration,
      connection: attr(s, ATTR.connection) ?? '',
      flow: attr(s, ATTR.flow) ?? '',
      run: attr(s, ATTR.run) ?? '',
      record_id: role === 'record' ? (attr(s, ATTR.record) ?? '') : '',
      record_type: role === 'record' ? (attr(s, ATTR.recordType) ?? '') : '',
      record_value: hasValue ? value : 0,
      has_value: hasValue ? 1 : 0,
      currency: hasValue ? (attr(s, ATTR.recordCurrency) ?? 'USD') : '',
      failure_category: failure?.category ?? '',
      failure_code: failure?.code ?? '',
      failure_retryable: failure?.retryable ? 1 : 0,
      message: failure?.message ?? '',
      http_status: signals.httpStatus ?? 0,
      records_total: Number(attr(s, ATTR.recordsTotal) ?? 0) || 0,
      duration_ms: Math.max(0, endMs - Number(s.startTimeUnixNano / 1_000_000n)),
      attributes: {},
      source: 'span',
    };
    if (role === 'record') {
      const skipped = s.attributes[ATTR.recordStatus] === 'skipped';
      const type = failed ? 'record.failed' : skipped ? 'record.skipped' : 'record.synced';
      out.eventRows.push({ ...base, type, message: skipped ? (s.attributes[ATTR.skipReason] ?? '') : base.message });
    } else {
      const startMs = Number(s.startTimeUnixNano / 1_000_000n);
      out.eventRows.push({ ...base, event_id: `${base.event_id}:start`, type: 'run.started', ts: toChTime(startMs), failure_category: '', failure_code: '', message: '', duration_ms: 0 });
      out.eventRows.push({ ...base, type: failed ? 'run.failed' : 'run.succeeded' });
    }
  }
  return out;
}
