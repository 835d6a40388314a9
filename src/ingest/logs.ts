import { createHash } from 'node:crypto';
import { EVENT_TYPES, LIMITS } from './events.js';
import type { DecodedLogRecord } from './otlp/logs.js';
import { ATTR } from './spans.js';

/**
 * OTLP log records carry integration events the OpenTelemetry way: a record whose event name
 * (`eventName`, or the `event.name` attribute) is one of EVENT_TYPES becomes the event a
 * runner would have posted to /v1/events, with the span attribute names (tenant.id,
 * record.id, failure.category, exception.*, http.response.status_code…). Everything after
 * that (validation, classification, de-duplication, spooling) is the events path itself.
 */

const TYPES = new Set<string>(EVENT_TYPES);

/** Attributes read into event fields; the rest of a record's own attributes are kept as event attributes. */
const READ = new Set<string>([
  ...Object.values(ATTR),
  'event.name',
  'event.id',
  'exception.message',
  'exception.type',
  'exception.stacktrace',
  'error.type',
  'http.response.status_code',
  'http.status_code',
  'http.response.header.retry-after',
  'process.exit.code',
]);

/** What became of a batch of log records. */
export interface LogEvents {
  /** Event items for the events path, and which record each came from. */
  items: Record<string, unknown>[];
  sources: number[];
  /** Records that are not integration events (no or another event name). */
  ignored: number;
}

/** Picks the integration events out of decoded log records and shapes them as posted events. */
export function logRecordsToEvents(records: DecodedLogRecord[]): LogEvents {
  const out: LogEvents = { items: [], sources: [], ignored: 0 };
  records.forEach((r, index) => {
    if (!TYPES.has(r.eventName)) {
      out.ignored += 1;
      return;
    }
    out.items.push(toEvent(r));
    out.sources.push(index);
  });
  return out;
}

function toEvent(r: DecodedLogRecord): Record<string, unknown> {
  const attr = (key: string): string | undefined => r.attributes[key] ?? r.resourceAttributes[key];
  const type = r.eventName;
  const event: Record<string, unknown> = {
    // A log record has no id: its content names it, so an exporter's retry is not counted twice.
    id: attr('event.id') ?? `log:${fingerprint(r)}`,
    type,
    tenant: attr(ATTR.tenant),
    integration: attr(ATTR.integration),
  };
  if (r.timeUnixNano > 0n) event.time = new Date(Number(r.timeUnixNano / 1_000_000n)).toISOString();
  setIf(event, 'connection', attr(ATTR.connection));
  setIf(event, 'flow', attr(ATTR.flow));
  setIf(event, 'run', attr(ATTR.run));
  const recordId = attr(ATTR.record);
  if (recordId !== undefined) {
    const record: Record<string, unknown> = { id: recordId };
    setIf(record, 'type', attr(ATTR.recordType));
    setIf(record, 'value', numeric(attr(ATTR.recordValue)));
    setIf(record, 'currency', attr(ATTR.recordCurrency));
    event.record = record;
  }
  if (type.endsWith('.failed')) event.error = errorOf(r, attr);
  if (type === 'record.skipped') setIf(event, 'reason', attr(ATTR.skipReason) ?? (r.body || undefined));
  setIf(event, 'records_total', numeric(attr(ATTR.recordsTotal)));
  const rest = Object.entries(r.attributes).filter(([key]) => !READ.has(key));
  if (rest.length > 0) event.attributes = Object.fromEntries(rest);
  return event;
}

function errorOf(r: DecodedLogRecord, attr: (key: string) => string | undefined): Record<string, unknown> {
  const error: Record<string, unknown> = {};
  setIf(error, 'category', attr(ATTR.failureCategory));
  setIf(error, 'code', attr(ATTR.failureCode));
  const message = attr('exception.message') ?? (r.body || undefined);
  // A stack trace in the body is common; the message column keeps its head rather than refusing the record.
  setIf(error, 'message', message?.slice(0, LIMITS.messageLength));
  setIf(error, 'http_status', numeric(attr('http.response.status_code') ?? attr('http.status_code')));
  setIf(error, 'type', attr('error.type') ?? attr('exception.type'));
  setIf(error, 'retry_after', attr('http.response.header.retry-after'));
  setIf(error, 'exit_code', numeric(attr('process.exit.code')));
  // As for spans: HTTP client attributes mean the failed call was outbound (there is no span kind here).
  if (attr('url.full') !== undefined || attr('server.address') !== undefined) error.outbound = true;
  return error;
}

/** A number when the attribute reads as one; otherwise the text, which validation refuses by name. */
function numeric(text: string | undefined): number | string | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  return text.trim() !== '' && Number.isFinite(n) ? n : text;
}

function setIf(target: Record<string, unknown>, key: string, value: unknown): void {
  if (value !== undefined) target[key] = value;
}

function fingerprint(r: DecodedLogRecord): string {
  const canonical = JSON.stringify([r.eventName, String(r.timeUnixNano), r.traceId, r.spanId, r.body, sorted(r.attributes), sorted(r.resourceAttributes)]);
  return createHash('sha256').update(canonical).digest('hex').slice(0, 32);
}

const sorted = (record: Record<string, string>) => Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
