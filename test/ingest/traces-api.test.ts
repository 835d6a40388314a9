import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { SpanStatusCode, context, trace } from '@opentelemetry/api';
import { startTestService, type TestService } from '../support/service.js';

let svc: TestService;
before(async () => {
  svc = await startTestService();
});
after(async () => svc.stop());

/** Real spans from the OpenTelemetry SDK: a run with one synced and one failed record. */
function makeRunSpans(runId: string): ReadableSpan[] {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'orders-runner', 'tenant.id': 'acme', 'integration.id': 'quickbooks' }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('test');
  const run = tracer.startSpan('orders.export run', { attributes: { 'integration.flow': 'orders.export', 'integration.run.id': runId } });
  const ctx = trace.setSpan(context.active(), run);
  const ok = tracer.startSpan('record', { attributes: { 'integration.flow': 'orders.export', 'integration.run.id': runId, 'record.id': `${runId}-INV-1`, 'record.type': 'invoice', 'record.value': 99.5, 'record.currency': 'GBP' } }, ctx);
  ok.end();
  const bad = tracer.startSpan('record', { kind: 2, attributes: { 'integration.flow': 'orders.export', 'integration.run.id': runId, 'record.id': `${runId}-INV-2`, 'http.response.status_code': 503, 'url.full': 'https://quickbooks.example/v3' } }, ctx);
  bad.setStatus({ code: SpanStatusCode.ERROR, message: 'Service Unavailable' });
  bad.end();
  run.end();
  return exporter.getFinishedSpans();
}

const post = (body: Buffer | string, type: string, extra: Record<string, string> = {}) =>
  fetch(`${svc.url}/v1/traces`, { method: 'POST', headers: { 'Content-Type': type, ...extra }, body: typeof body === 'string' ? body : new Uint8Array(body) });

async function attemptsOf(recordId: string) {
  await svc.ingest.batcher.flush();
  const res = await fetch(`${svc.url}/v1/records?tenant=acme&record_id=${encodeURIComponent(recordId)}`);
  return (await res.json()).attempts;
}

describe('POST /v1/traces', () => {
  test('OTLP protobuf: spans are stored whole and run/record spans become runs and record attempts', async () => {
    const body = Buffer.from(ProtobufTraceSerializer.serializeRequest(makeRunSpans('run-pb'))!);
    const res = await post(body, 'application/x-protobuf');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/x-protobuf');
    const [synced] = await attemptsOf('run-pb-INV-1');
    assert.equal(synced.status, 'synced');
    assert.equal(synced.integration, 'quickbooks');
    assert.equal(synced.flow, 'orders.export');
    assert.equal(synced.run, 'run-pb');
    assert.equal(synced.value, 99.5);
    assert.equal(synced.currency, 'GBP');
    const [failed] = await attemptsOf('run-pb-INV-2');
    assert.deepEqual(failed.failure, { category: 'endpoint', code: 'unavailable', message: 'Service Unavailable' });
    const spans = await svc.driver.query<{ n: string }>({
      name: 't',
      sql: "SELECT count() AS n FROM otel_traces WHERE ServiceName = 'orders-runner' AND SpanAttributes['integration.run.id'] = 'run-pb'",
    });
    assert.equal(Number(spans[0].n), 3);
    const runs = await svc.driver.query<{ type: string }>({ name: 't', sql: "SELECT type FROM events WHERE run = 'run-pb' AND type LIKE 'run.%' ORDER BY ts, type" });
    assert.deepEqual(runs.map((r) => r.type), ['run.started', 'run.succeeded']);
  });

  test('OTLP JSON, gzip-compressed, gives the same result', async () => {
    const json = Buffer.from(JsonTraceSerializer.serializeRequest(makeRunSpans('run-json'))!);
    const res = await post(gzipSync(json), 'application/json', { 'Content-Encoding': 'gzip' });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), {});
    const [failed] = await attemptsOf('run-json-INV-2');
    assert.equal(failed.failure.code, 'unavailable');
  });

  test('re-exported spans (an exporter retry) are not double counted', async () => {
    const body = Buffer.from(ProtobufTraceSerializer.serializeRequest(makeRunSpans('run-retry'))!);
    assert.equal((await post(body, 'application/x-protobuf')).status, 200);
    await svc.ingest.batcher.flush();
    assert.equal((await post(body, 'application/x-protobuf')).status, 200);
    assert.equal((await attemptsOf('run-retry-INV-1')).length, 1);
    const spans = await svc.driver.query<{ n: string }>({ name: 't', sql: "SELECT count() AS n FROM otel_traces WHERE SpanAttributes['integration.run.id'] = 'run-retry'" });
    assert.equal(Number(spans[0].n), 3);
  });

  test('spans with absurd timestamps are refused through OTLP partial success; the rest are kept', async () => {
    const json = JSON.parse(Buffer.from(JsonTraceSerializer.serializeRequest(makeRunSpans('run-partial'))!).toString());
    json.resourceSpans[0].scopeSpans[0].spans[0].startTimeUnixNano = '1000';
    const res = await post(JSON.stringify(json), 'application/json');
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(Number(body.partialSuccess.rejectedSpans), 1);
    assert.match(body.partialSuccess.errorMessage, /startTimeUnixNano: is more than 400 days in the past/);
  });

  test('malformed bodies are a 400 naming the problem; other content types a 415', async () => {
    const garbage = await post(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]), 'application/x-protobuf');
    assert.equal(garbage.status, 400);
    assert.equal((await garbage.json()).error.code, 'invalid_otlp');
    const notJson = await post('{"resourceSpans": [', 'application/json');
    assert.equal(notJson.status, 400);
    const badId = await post(JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: 'xyz', spanId: '00', name: 'a', startTimeUnixNano: '1', endTimeUnixNano: '2' }] }] }] }), 'application/json');
    assert.equal(badId.status, 400);
    assert.match((await badId.json()).error.message, /traceId/);
    const text = await post('hello', 'text/plain');
    assert.equal(text.status, 415);
  });
});
