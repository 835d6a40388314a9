import { createHash } from 'node:crypto';
import type { IntegrationEvent } from '../ingest/index.js';

// A few runs of the workload travel as OpenTelemetry spans (OTLP/JSON, built by hand, the
// attributes of docs/architecture.md#events) instead of events, so the demo exercises both ingest paths
// and fills otel_traces. Ids are hashes of the run and event ids: re-sending dedups.

type OtlpValue = { stringValue: string } | { intValue: string } | { doubleValue: number };
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: OtlpAttribute[];
  status: { code: number; message?: string };
}
/** An OTLP/JSON ExportTraceServiceRequest. */
export interface OtlpTraceRequest {
  resourceSpans: { resource: { attributes: OtlpAttribute[] }; scopeSpans: { scope: { name: string; version: string }; spans: OtlpSpan[] }[] }[];
}

const SPAN_KIND_INTERNAL = 1;
const SPAN_KIND_CLIENT = 3;
const STATUS_OK = 1;
const STATUS_ERROR = 2;

const hex = (text: string, chars: number) => createHash('sha256').update(text).digest('hex').slice(0, chars);
const nanos = (iso: string) => (BigInt(Date.parse(iso)) * 1_000_000n).toString();
const str = (key: string, value: string): OtlpAttribute => ({ key, value: { stringValue: value } });
const int = (key: string, value: number): OtlpAttribute => ({ key, value: { intValue: String(value) } });

/** The attributes a failed call carries in OTel semantic conventions (classification reads them). */
function failureAttributes(error: IntegrationEvent['error']): OtlpAttribute[] {
  if (!error) return [];
  const attrs: OtlpAttribute[] = [];
  if (error.http_status !== undefined) attrs.push(int('http.response.status_code', error.http_status));
  if (error.type !== undefined) attrs.push(str('error.type', error.type));
  if (error.retry_after !== undefined) attrs.push(str('http.response.header.retry-after', String(error.retry_after)));
  if (error.exit_code !== undefined) attrs.push(int('process.exit.code', error.exit_code));
  if (error.category !== undefined) attrs.push(str('failure.category', error.category));
  if (error.code !== undefined) attrs.push(str('failure.code', error.code));
  return attrs;
}

/** The spans of one run: a run span and one child span per record event. */
function runSpans(events: IntegrationEvent[]): OtlpSpan[] {
  const started = events.find((e) => e.type === 'run.started')!;
  const ended = events.find((e) => e.type === 'run.succeeded' || e.type === 'run.failed')!;
  const run = started.run!;
  const traceId = hex(run, 32);
  const runSpanId = hex(`${run}/span`, 16);
  const spans: OtlpSpan[] = [
    {
      traceId,
      spanId: runSpanId,
      parentSpanId: '',
      name: `${started.flow} run`,
      kind: SPAN_KIND_INTERNAL,
      startTimeUnixNano: nanos(started.time!),
      endTimeUnixNano: nanos(ended.time!),
      attributes: [
        str('integration.flow', started.flow!),
        str('integration.run.id', run),
        int('integration.run.records_total', ended.records_total ?? 0),
        str('syncwatch.span', 'run'),
        ...failureAttributes(ended.error),
      ],
      status: ended.error ? { code: STATUS_ERROR, message: ended.error.message ?? '' } : { code: STATUS_OK },
    },
  ];
  let previous = started.time!;
  for (const e of events) {
    if (!e.record) continue;
    const r = e.record;
    const attributes = [str('integration.flow', e.flow!), str('integration.run.id', run), str('record.id', r.id), str('syncwatch.span', 'record')];
    if (r.type) attributes.push(str('record.type', r.type));
    if (r.value !== undefined) attributes.push({ key: 'record.value', value: { doubleValue: r.value } }, str('record.currency', r.currency ?? 'USD'));
    if (e.type === 'record.skipped') attributes.push(str('record.status', 'skipped'), str('record.skip_reason', e.reason ?? ''));
    spans.push({
      traceId,
      spanId: hex(e.id!, 16),
      parentSpanId: runSpanId,
      name: `${r.type ?? 'record'} ${e.type === 'record.skipped' ? 'skip' : 'upsert'}`,
      kind: SPAN_KIND_CLIENT,
      startTimeUnixNano: nanos(previous),
      endTimeUnixNano: nanos(e.time!),
      attributes: [...attributes, ...failureAttributes(e.error)],
      status: e.error ? { code: STATUS_ERROR, message: e.error.message ?? '' } : { code: STATUS_OK },
    });
    previous = e.time!;
  }
  return spans;
}

/** Events split into those posted as events and the runs sent as spans. */
export interface TraceSplit {
  events: IntegrationEvent[];
  traces: OtlpTraceRequest | null;
  spans: number;
  /** Workload events the spans stand for (each run span yields two, each record span one). */
  eventsAsSpans: number;
}

/**
 * Moves the complete runs of one (tenant, integration, flow) that started at or after
 * `since` out of the event list and into one OTLP/JSON request, as a runner instrumented
 * with OpenTelemetry would send them.
 */
export function splitForTraces(events: readonly IntegrationEvent[], pick: { tenant: string; integration: string; flow: string; since: number }): TraceSplit {
  const runs = new Map<string, IntegrationEvent[]>();
  const chosen = (e: IntegrationEvent) => e.tenant === pick.tenant && e.integration === pick.integration && e.flow === pick.flow && e.run !== undefined;
  for (const e of events) {
    if (!chosen(e)) continue;
    if (e.type === 'run.started' && Date.parse(e.time!) >= pick.since) runs.set(e.run!, [e]);
    else runs.get(e.run!)?.push(e);
  }
  if (runs.size === 0) return { events: [...events], traces: null, spans: 0, eventsAsSpans: 0 };

  const spans = [...runs.values()].flatMap(runSpans);
  const traces: OtlpTraceRequest = {
    resourceSpans: [
      {
        resource: {
          attributes: [str('service.name', `${pick.integration}-sync-runner`), str('tenant.id', pick.tenant), str('integration.id', pick.integration)],
        },
        scopeSpans: [{ scope: { name: 'syncwatch-demo', version: '1' }, spans }],
      },
    ],
  };
  const converted = new Set([...runs.values()].flat());
  return { events: events.filter((e) => !converted.has(e)), traces, spans: spans.length, eventsAsSpans: converted.size };
}
