import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { JsonLogsSerializer, ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import { startTestService, type TestService } from '../support/service.js';
import { exportWith, scenarioLogs, scenarioSpans } from '../support/otel-scenario.js';

let svc: TestService;
before(async () => {
  svc = await startTestService();
});
after(async () => svc.stop());

const base = Date.now() - 3_600_000;

/** The run report of `run` for `tenant`, with the tenant blanked so two tenants' reports compare. */
async function runReport(tenant: string, run: string) {
  await svc.ingest.batcher.flush();
  const res = await fetch(`${svc.url}/v1/runs/${run}/report?tenant=${tenant}`);
  assert.equal(res.status, 200, await res.clone().text());
  const report = await res.json();
  assert.equal(report.run.tenant, tenant);
  return { ...report, run: { ...report.run, tenant: '' } };
}

const post = (body: Uint8Array | string, type: string, extra: Record<string, string> = {}) =>
  fetch(`${svc.url}/v1/logs`, { method: 'POST', headers: { 'Content-Type': type, ...extra }, body: typeof body === 'string' ? body : new Uint8Array(body) });

describe('POST /v1/logs (OTLP/HTTP logs)', () => {
  test('log records named for integration events become the same run and records as the equivalent spans', async () => {
    await exportWith(new OTLPTraceExporter({ url: `${svc.url}/v1/traces` }), scenarioSpans('spans-co', 'run-1', base));
    await exportWith(new ProtoLogExporter({ url: `${svc.url}/v1/logs` }), await scenarioLogs('logs-pb-co', 'run-1', base));
    await exportWith(new JsonLogExporter({ url: `${svc.url}/v1/logs`, compression: 'gzip' as never }), await scenarioLogs('logs-json-co', 'run-1', base));

    const fromSpans = await runReport('spans-co', 'run-1');
    assert.equal(fromSpans.run.outcome, 'partial', 'the run ended with a failed record');
    assert.deepEqual(fromSpans.run.records, { synced: 1, failed: 1, skipped: 1 });
    assert.deepEqual(
      fromSpans.records.find((r: { record_id: string }) => r.record_id === 'run-1-2').failure,
      { category: 'endpoint', code: 'unavailable', message: 'Service Unavailable', retryable: true },
    );
    assert.deepEqual(await runReport('logs-pb-co', 'run-1'), fromSpans);
    assert.deepEqual(await runReport('logs-json-co', 'run-1'), fromSpans);

    const rows = await svc.driver.query<{ source: string; n: string }>({
      name: 't',
      sql: "SELECT source, count() AS n FROM events WHERE tenant = 'logs-pb-co' GROUP BY source",
    });
    assert.deepEqual(rows.map((r) => [r.source, Number(r.n)]), [['log', 5]]);
  });

  test('records that are not integration events are ignored and counted in the partial success', async () => {
    const body = JsonLogsSerializer.serializeRequest(await scenarioLogs('partial-co', 'run-p', base))!;
    const res = await post(gzipSync(body), 'application/json', { 'Content-Encoding': 'gzip' });
    assert.equal(res.status, 200);
    const { partialSuccess } = await res.json();
    assert.equal(partialSuccess.rejectedLogRecords, '1');
    assert.match(partialSuccess.errorMessage, /1 log record\(s\) ignored: no integration event name/);
    const report = await runReport('partial-co', 'run-p');
    assert.equal(report.records.length, 3);
  });

  test('a re-exported request (an exporter retry) is not double counted', async () => {
    const body = ProtobufLogsSerializer.serializeRequest(await scenarioLogs('retry-co', 'run-r', base))!;
    assert.equal((await post(body, 'application/x-protobuf')).status, 200);
    assert.equal((await post(body, 'application/x-protobuf')).status, 200);
    await svc.ingest.batcher.flush();
    const [{ n }] = await svc.driver.query<{ n: string }>({ name: 't', sql: "SELECT count() AS n FROM events FINAL WHERE tenant = 'retry-co'" });
    assert.equal(Number(n), 5);
  });

  test('an event record that fails validation is refused by index with the reason; the others are kept', async () => {
    const body = JSON.stringify({
      resourceLogs: [{
        resource: { attributes: [{ key: 'tenant.id', value: { stringValue: 'bad-co' } }, { key: 'integration.id', value: { stringValue: 'shop' } }] },
        scopeLogs: [{ logRecords: [
          { eventName: 'record.synced', timeUnixNano: String(BigInt(base) * 1_000_000n), attributes: [{ key: 'record.id', value: { stringValue: 'R-1' } }, { key: 'record.value', value: { stringValue: 'lots' } }] },
          { eventName: 'record.synced', timeUnixNano: String(BigInt(base) * 1_000_000n), attributes: [{ key: 'record.id', value: { stringValue: 'R-2' } }, { key: 'record.value', value: { doubleValue: 12.5 } }] },
          { eventName: 'run.started', attributes: [] },
        ] }],
      }],
    });
    const res = await post(body, 'application/json');
    assert.equal(res.status, 200);
    const { partialSuccess } = await res.json();
    assert.equal(partialSuccess.rejectedLogRecords, '2');
    assert.match(partialSuccess.errorMessage, /log record 0: record\.value: .*number/);
    assert.match(partialSuccess.errorMessage, /log record 2: run: is required/);
    await svc.ingest.batcher.flush();
    const kept = await svc.driver.query<{ record_id: string; record_value: number }>({ name: 't', sql: "SELECT record_id, record_value FROM events WHERE tenant = 'bad-co'" });
    assert.deepEqual(kept, [{ record_id: 'R-2', record_value: 12.5 }]);
  });

  test('undecodable bodies are a 400 naming the field; other content types a 415', async () => {
    const bad = await post(JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ traceId: 'xyz' }] }] }] }), 'application/json');
    assert.equal(bad.status, 400);
    const { error } = await bad.json();
    assert.equal(error.code, 'invalid_otlp');
    assert.match(error.message, /resourceLogs\[0\]\.scopeLogs\[0\]\.logRecords\[0\]\.traceId/);
    const garbage = await post(new Uint8Array([0xff, 0xff, 0xff, 0x0f]), 'application/x-protobuf');
    assert.equal(garbage.status, 400);
    assert.equal((await post('x', 'text/plain')).status, 415);
  });
});
