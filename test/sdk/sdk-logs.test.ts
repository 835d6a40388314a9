import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { createSyncwatch, SyncwatchError, type Syncwatch } from '@syncwatch/sdk';
import { startTestService, type TestService } from '../support/service.js';

let svc: TestService;
before(async () => {
  svc = await startTestService();
});
after(async () => svc.stop());

/** One run of three records (synced, failed with an HTTP status, skipped) through `sdk`. */
async function runOrders(sdk: Syncwatch, tenant: string): Promise<string> {
  const run = sdk.startRun({ tenant, integration: 'shop', flow: 'orders.export', runId: 'run-sdk' });
  await run.record({ id: 'ORD-1', type: 'order', value: 42, currency: 'EUR' }, async () => 'ok');
  await run.record({ id: 'ORD-2', type: 'order', value: 7 }, async () => {
    throw Object.assign(new Error('Service Unavailable'), { status: 503 });
  });
  await run.record({ id: 'ORD-3', type: 'order' }, async () => {
    throw new SyncwatchError('email is required', { category: 'data', code: 'validation' });
  });
  run.skip({ id: 'ORD-4', type: 'order' }, 'test order');
  await run.end();
  return run.runId;
}

async function report(tenant: string) {
  await svc.ingest.batcher.flush();
  const res = await fetch(`${svc.url}/v1/runs/run-sdk/report?tenant=${tenant}`);
  assert.equal(res.status, 200);
  const body = await res.json();
  // Times differ between the two runs; everything else must not.
  return {
    run: { ...body.run, tenant: '', started_at: '', ended_at: '', duration_ms: 0, first_seen_at: '', last_seen_at: '' },
    records: body.records.map((r: Record<string, unknown>) => ({ ...r, time: '' })),
  };
}

describe('the SDK reporting record outcomes as log events', () => {
  test('gives the same run and records as record spans', async () => {
    const resource = resourceFromAttributes({ 'service.name': 'sdk-runner' });
    const tracing = new BasicTracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${svc.url}/v1/traces` }))] });
    const logging = new LoggerProvider({ resource, processors: [new SimpleLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `${svc.url}/v1/logs` }) })] });

    await runOrders(createSyncwatch({ tracer: tracing.getTracer('t') }), 'as-spans');
    await runOrders(createSyncwatch({ tracer: tracing.getTracer('t'), recordLogger: logging.getLogger('t') }), 'as-logs');
    await tracing.forceFlush();
    await logging.forceFlush();

    const spans = await report('as-spans');
    assert.deepEqual(spans.run.records, { synced: 1, failed: 2, skipped: 1 });
    assert.deepEqual(spans.run.failures, { infra: 0, endpoint: 1, data: 1 });
    assert.deepEqual(await report('as-logs'), spans);
    const sources = await svc.driver.query<{ source: string; n: string }>({ name: 't', sql: "SELECT source, count() AS n FROM events WHERE tenant = 'as-logs' GROUP BY source ORDER BY source" });
    assert.deepEqual(sources.map((r) => [r.source, Number(r.n)]), [['log', 4], ['span', 2]]);
  });
});
