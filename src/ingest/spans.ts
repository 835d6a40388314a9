import { SDK_ATTR } from '@syncwatch/sdk/attributes';
import { toChTime, toChTimeNanos } from '../ch-time.js';
import type { EventRow, SpanRow } from '../store/index.js';
import { classify, type ClassificationRules } from './classify.js';
import { isIdent, isRecordId } from './events.js';
import { checkMoney, checkTime, checkUnsigned, DEFAULT_WINDOW, LIMITS, numericAttribute, type TimeWindow } from './limits.js';
import type { DecodedSpan, FailureSignals } from './types.js';

/** Most attributes one span may carry (span + resource); more is refused, not truncated. */
export const MAX_SPAN_ATTRIBUTES = 256;

/** The runner-contract attribute names, from the SDK package (their one copy). */
export const ATTR = SDK_ATTR;

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

const nanosToMs = (n: bigint) => Number(n / 1_000_000n);

function checkSpan(s: DecodedSpan, now: number, window: TimeWindow): string | null {
  const problem = checkTime('startTimeUnixNano', nanosToMs(s.startTimeUnixNano), now, window) ?? checkTime('endTimeUnixNano', nanosToMs(s.endTimeUnixNano), now, window);
  if (problem) return problem;
  if (Object.keys(s.attributes).length + Object.keys(s.resourceAttributes).length > MAX_SPAN_ATTRIBUTES) {
    return `more than ${MAX_SPAN_ATTRIBUTES} attributes`;
  }
  return null;
}

/** The integration attributes of a run or record span, checked against the same bounds as events. */
interface IntegrationValues {
  value?: number;
  recordsTotal: number;
}

function checkIntegrationAttributes(s: DecodedSpan, role: 'run' | 'record'): IntegrationValues | string {
  for (const key of [ATTR.tenant, ATTR.integration, ATTR.connection, ATTR.flow, ATTR.run, ATTR.recordType]) {
    const v = attr(s, key);
    if (v !== undefined && !isIdent(v)) return `${key}: must be 1-${LIMITS.identLength} characters without whitespace or control characters`;
  }
  if (role === 'record' && !isRecordId(attr(s, ATTR.record))) return `${ATTR.record}: must be 1-${LIMITS.recordIdLength} characters without control characters`;
  const total = numericAttribute(ATTR.recordsTotal, attr(s, ATTR.recordsTotal));
  if (typeof total === 'object') return total.error;
  const totalProblem = total === undefined ? null : checkUnsigned(ATTR.recordsTotal, total, LIMITS.maxRecordsTotal);
  if (totalProblem) return totalProblem;
  const value = role === 'record' ? numericAttribute(ATTR.recordValue, attr(s, ATTR.recordValue)) : undefined;
  if (typeof value === 'object') return value.error;
  const valueProblem = value === undefined ? null : checkMoney(ATTR.recordValue, value);
  if (valueProblem) return valueProblem;
  const currency = attr(s, ATTR.recordCurrency);
  if (value !== undefined && currency !== undefined && !/^[A-Z]{3}$/.test(currency)) return `${ATTR.recordCurrency}: must be an ISO-4217 code like USD`;
  return { value, recordsTotal: total ?? 0 };
}

/**
 * Maps decoded spans to whole-span rows plus the integration events a run or record
 * span implies (run.started/succeeded/failed, record.synced/failed/skipped).
 */
export function mapSpans(spans: DecodedSpan[], rules: ClassificationRules, now: number, window: TimeWindow = DEFAULT_WINDOW): MappedSpans {
  const out: MappedSpans = { spanRows: [], eventRows: [], rejected: [] };
  const receivedAt = toChTime(now);
  const runSpanIds = new Set(spans.filter((s) => s.attributes[ATTR.run] !== undefined && !s.attributes[ATTR.record]).map((s) => s.spanId));
  for (const s of spans) {
    const role = roleOf(s, runSpanIds);
    const tenant = attr(s, ATTR.tenant);
    const integration = attr(s, ATTR.integration);
    const integrated = role !== null && tenant !== undefined && integration !== undefined;
    const problem = checkSpan(s, now, window);
    const values = problem ?? (integrated ? checkIntegrationAttributes(s, role) : null);
    if (typeof values === 'string') {
      out.rejected.push({ spanId: s.spanId, error: values });
      continue;
    }
    out.spanRows.push(spanRow(s));
    if (!integrated || values === null) continue;

    const failed = s.statusCode === 'Error';
    const signals = failureSignals(s);
    const failure = failed ? classify(signals, rules) : null;
    const value = values.value;
    const hasValue = role === 'record' && value !== undefined;
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
      records_total: values.recordsTotal,
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
