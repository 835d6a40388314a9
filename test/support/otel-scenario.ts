import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor, type LogRecordExporter, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';

/*
 * One sync run told twice with the official OpenTelemetry SDK: as run and record spans, and
 * as log records named for the integration events they stand for. Syncwatch must make the
 * same run and records of either (tests compare the two through the API).
 */

const FLOW = 'orders.export';

/** Times (ms) of the run: start, three records (synced, failed, skipped), end. */
function timeline(base: number) {
  return { start: base, synced: [base + 100, base + 200], failed: [base + 300, base + 400], skipped: [base + 500, base + 600], end: base + 1000 };
}

const resource = (tenant: string) => resourceFromAttributes({ 'service.name': 'orders-runner', 'tenant.id': tenant, 'integration.id': 'quickbooks' });

/** The run as spans: a run span and three record spans under it. */
export function scenarioSpans(tenant: string, runId: string, base: number): ReadableSpan[] {
  const t = timeline(base);
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ resource: resource(tenant), spanProcessors: [new SimpleSpanProcessor(memory)] });
  const tracer = provider.getTracer('scenario');
  const common = { 'integration.flow': FLOW, 'integration.run.id': runId };
  const run = tracer.startSpan('orders.export run', { startTime: t.start, attributes: { ...common, 'integration.run.records_total': 3 } });
  const ctx = trace.setSpan(context.active(), run);
  tracer.startSpan('record', { startTime: t.synced[0], attributes: { ...common, 'record.id': `${runId}-1`, 'record.type': 'invoice', 'record.value': 99.5, 'record.currency': 'GBP' } }, ctx).end(t.synced[1]);
  const failed = tracer.startSpan(
    'record',
    { kind: SpanKind.CLIENT, startTime: t.failed[0], attributes: { ...common, 'record.id': `${runId}-2`, 'record.type': 'invoice', 'record.value': 10, 'http.response.status_code': 503, 'url.full': 'https://quickbooks.example/v3' } },
    ctx,
  );
  failed.setStatus({ code: SpanStatusCode.ERROR, message: 'Service Unavailable' });
  failed.end(t.failed[1]);
  tracer.startSpan('record', { startTime: t.skipped[0], attributes: { ...common, 'record.id': `${runId}-3`, 'record.status': 'skipped', 'record.skip_reason': 'already exported' } }, ctx).end(t.skipped[1]);
  run.end(t.end);
  return memory.getFinishedSpans() as ReadableSpan[];
}

/** The same run as log records (OTel events), plus one ordinary log line that is not an event. */
export async function scenarioLogs(tenant: string, runId: string, base: number): Promise<ReadableLogRecord[]> {
  const t = timeline(base);
  const memory = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({ resource: resource(tenant), processors: [new SimpleLogRecordProcessor({ exporter: memory })] });
  const logger = provider.getLogger('scenario');
  const common = { 'integration.flow': FLOW, 'integration.run.id': runId };
  logger.emit({ eventName: 'run.started', timestamp: t.start, attributes: { ...common, 'integration.run.records_total': 3 } });
  logger.emit({ eventName: 'record.synced', timestamp: t.synced[1], attributes: { ...common, 'record.id': `${runId}-1`, 'record.type': 'invoice', 'record.value': 99.5, 'record.currency': 'GBP' } });
  // The `event.name` attribute names the event as well as the eventName field does.
  logger.emit({
    timestamp: t.failed[1],
    body: 'Service Unavailable',
    attributes: { ...common, 'event.name': 'record.failed', 'record.id': `${runId}-2`, 'record.type': 'invoice', 'record.value': 10, 'http.response.status_code': 503, 'url.full': 'https://quickbooks.example/v3' },
  });
  logger.emit({ eventName: 'record.skipped', timestamp: t.skipped[1], attributes: { ...common, 'record.id': `${runId}-3`, 'record.skip_reason': 'already exported' } });
  logger.emit({ timestamp: t.skipped[1], body: 'fetched 3 orders from the shop', attributes: common });
  logger.emit({ eventName: 'run.succeeded', timestamp: t.end, attributes: { ...common, 'integration.run.records_total': 3 } });
  await provider.forceFlush();
  return memory.getFinishedLogRecords() as ReadableLogRecord[];
}

/** Sends items with an official exporter and fails unless it reports success. */
export async function exportWith<T>(exporter: SpanExporter | LogRecordExporter, items: T[]): Promise<void> {
  const result = await new Promise<{ code: number; error?: Error }>((resolve) => (exporter.export as (items: T[], done: (r: { code: number; error?: Error }) => void) => void)(items, resolve));
  await exporter.shutdown();
  if (result.code !== 0) throw new Error(`export failed: ${result.error?.message ?? 'unknown error'}`);
}
