import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { OTLPTraceExporter as GrpcTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as HttpTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import { otlpType } from '../../src/ingest/otlp/protobuf.js';
import { freePort } from '../support/free-port.js';
import { exportWith, scenarioLogs, scenarioSpans } from '../support/otel-scenario.js';
import { startTestService, type TestService } from '../support/service.js';

const ADMIN_KEY = 'admin-key-0123456789';
const INGEST_KEY = 'ingest-key-0123456789';

let svc: TestService;
let grpcUrl: string;
before(async () => {
  const port = await freePort();
  svc = await startTestService({ SYNCWATCH_GRPC_PORT: String(port), SYNCWATCH_ADMIN_KEY: ADMIN_KEY, SYNCWATCH_INGEST_KEY: INGEST_KEY, SYNCWATCH_MAX_BODY_BYTES: '200000' });
  assert.equal(svc.grpc?.port, port);
  grpcUrl = `http://127.0.0.1:${port}`;
});
after(async () => svc.stop());

const base = Date.now() - 3_600_000;

function metadata(key: string): grpc.Metadata {
  const m = new grpc.Metadata();
  m.set('authorization', `Bearer ${key}`);
  return m;
}

async function runReport(tenant: string, run: string) {
  await svc.ingest.batcher.flush();
  const res = await fetch(`${svc.url}/v1/runs/${run}/report?tenant=${tenant}`, { headers: { Authorization: `Bearer ${ADMIN_KEY}` } });
  assert.equal(res.status, 200, await res.clone().text());
  const report = await res.json();
  return { ...report, run: { ...report.run, tenant: '' } };
}

/** One raw unary call, to see the status a client gets for what the exporters never send. */
function rawExport(path: string, body: Buffer, key: string): Promise<{ code: number; details: string; response?: Buffer }> {
  const client = new grpc.Client(grpcUrl.replace('http://', ''), grpc.credentials.createInsecure());
  const id = (b: Buffer) => b;
  return new Promise((resolve) => {
    client.makeUnaryRequest(path, id, id, body, metadata(key), (err, response) => {
      client.close();
      resolve(err ? { code: err.code, details: err.details } : { code: 0, details: '', response });
    });
  });
}

describe('OTLP/gRPC on SYNCWATCH_GRPC_PORT', () => {
  test('spans and log records over gRPC become the same run and records as spans over OTLP/HTTP', async () => {
    await exportWith(new HttpTraceExporter({ url: `${svc.url}/v1/traces`, headers: { Authorization: `Bearer ${INGEST_KEY}` } }), scenarioSpans('http-co', 'run-g', base));
    await exportWith(new GrpcTraceExporter({ url: grpcUrl, metadata: metadata(INGEST_KEY) }), scenarioSpans('grpc-spans-co', 'run-g', base));
    await exportWith(new OTLPLogExporter({ url: grpcUrl, metadata: metadata(INGEST_KEY), compression: 'gzip' as never }), await scenarioLogs('grpc-logs-co', 'run-g', base));

    const fromHttp = await runReport('http-co', 'run-g');
    assert.deepEqual(fromHttp.run.records, { synced: 1, failed: 1, skipped: 1 });
    assert.deepEqual(await runReport('grpc-spans-co', 'run-g'), fromHttp);
    assert.deepEqual(await runReport('grpc-logs-co', 'run-g'), fromHttp);
    const [{ n }] = await svc.driver.query<{ n: string }>({ name: 't', sql: "SELECT count() AS n FROM otel_traces WHERE ResourceAttributes['tenant.id'] = 'grpc-spans-co'" });
    assert.equal(Number(n), 4);
  });

  test('the authorization metadata is checked like the HTTP header', async () => {
    const exporter = new GrpcTraceExporter({ url: grpcUrl, metadata: metadata('not-a-key-at-all-000') });
    await assert.rejects(exportWith(exporter, scenarioSpans('nobody-co', 'run-x', base)), /UNAUTHENTICATED|API key is not valid/);
    const body = Buffer.from(ProtobufLogsSerializer.serializeRequest(await scenarioLogs('nobody-co', 'run-x', base))!);
    const refused = await rawExport('/opentelemetry.proto.collector.logs.v1.LogsService/Export', body, 'not-a-key-at-all-000');
    assert.equal(refused.code, grpc.status.UNAUTHENTICATED);
    await svc.ingest.batcher.flush();
    const [{ n }] = await svc.driver.query<{ n: string }>({ name: 't', sql: "SELECT count() AS n FROM events WHERE tenant = 'nobody-co'" });
    assert.equal(Number(n), 0);
  });

  test('a malformed message is INVALID_ARGUMENT naming the problem; ignored log records are counted in the partial success', async () => {
    const bad = await rawExport('/opentelemetry.proto.collector.trace.v1.TraceService/Export', Buffer.from([0x0a, 0x05, 0x12, 0x03, 0x0a, 0x01]), INGEST_KEY);
    assert.equal(bad.code, grpc.status.INVALID_ARGUMENT);
    assert.match(bad.details, /ExportTraceServiceRequest/);
    const body = Buffer.from(ProtobufLogsSerializer.serializeRequest(await scenarioLogs('partial-co', 'run-p', base))!);
    const ok = await rawExport('/opentelemetry.proto.collector.logs.v1.LogsService/Export', body, INGEST_KEY);
    assert.equal(ok.code, 0);
    const response = ProtobufLogsSerializer.deserializeResponse(ok.response!);
    assert.equal(Number(response.partialSuccess?.rejectedLogRecords), 1);
  });

  test('a message over SYNCWATCH_MAX_BODY_BYTES is refused (RESOURCE_EXHAUSTED), as over HTTP (413)', async () => {
    const type = otlpType('ExportLogsServiceRequest');
    const body = Buffer.from(type.encode(type.fromObject({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ eventName: 'record.synced', body: { stringValue: 'x'.repeat(300_000) } }] }] }] })).finish());
    const refused = await rawExport('/opentelemetry.proto.collector.logs.v1.LogsService/Export', body, INGEST_KEY);
    assert.equal(refused.code, grpc.status.RESOURCE_EXHAUSTED);
    const http = await fetch(`${svc.url}/v1/logs`, { method: 'POST', headers: { Authorization: `Bearer ${INGEST_KEY}`, 'Content-Type': 'application/x-protobuf' }, body: new Uint8Array(body) });
    assert.equal(http.status, 413);
  });
});
