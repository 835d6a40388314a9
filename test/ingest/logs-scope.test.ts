import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { JsonLogsSerializer, ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import { freePort } from '../support/free-port.js';
import { scenarioLogs } from '../support/otel-scenario.js';
import { startTestService, type TestService } from '../support/service.js';

const ACME_KEY = 'acme-only-ingest-key-0123456789';
let svc: TestService;
let dir: string;
let grpcPort: number;
before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'syncwatch-scope-'));
  const config = path.join(dir, 'syncwatch.yaml');
  writeFileSync(config, `keys:\n  - key: ${ACME_KEY}\n    role: ingest\n    tenants: [acme]\n  - key: admin-key-0123456789abcdef\n    role: admin\n`);
  grpcPort = await freePort();
  svc = await startTestService({ SYNCWATCH_CONFIG: config, SYNCWATCH_GRPC_PORT: String(grpcPort) });
});
after(async () => {
  await svc.stop();
  rmSync(dir, { recursive: true, force: true });
});

const countFor = async (tenant: string) => {
  await svc.ingest.batcher.flush();
  const [{ n }] = await svc.driver.query<{ n: string }>({ name: 't', sql: 'SELECT count() AS n FROM events WHERE tenant = {tenant:String}', params: { tenant } });
  return Number(n);
};

describe('log records and a tenant-scoped ingest key', () => {
  test('over HTTP: records of another tenant are refused one by one, the key’s own are kept', async () => {
    const mine = await scenarioLogs('acme', 'run-1', Date.now() - 60_000);
    const theirs = await scenarioLogs('globex', 'run-1', Date.now() - 60_000);
    const body = JsonLogsSerializer.serializeRequest([...mine, ...theirs])!;
    const res = await fetch(`${svc.url}/v1/logs`, { method: 'POST', headers: { Authorization: `Bearer ${ACME_KEY}`, 'Content-Type': 'application/json' }, body: new Uint8Array(body) });
    assert.equal(res.status, 200);
    const { partialSuccess } = await res.json();
    assert.equal(partialSuccess.rejectedLogRecords, '7'); // 5 globex events + 2 ordinary log lines
    assert.match(partialSuccess.errorMessage, /may not write for tenant "globex"/);
    assert.equal(await countFor('acme'), 5);
    assert.equal(await countFor('globex'), 0);
  });

  test('over gRPC: the same scope applies', async () => {
    const body = Buffer.from(ProtobufLogsSerializer.serializeRequest(await scenarioLogs('initech', 'run-2', Date.now() - 60_000))!);
    const client = new grpc.Client(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure());
    const metadata = new grpc.Metadata();
    metadata.set('authorization', `Bearer ${ACME_KEY}`);
    const id = (b: Buffer) => b;
    const response = await new Promise<Buffer>((resolve, reject) =>
      client.makeUnaryRequest('/opentelemetry.proto.collector.logs.v1.LogsService/Export', id, id, body, metadata, (err, out) => (err ? reject(err) : resolve(out!))),
    );
    client.close();
    assert.equal(Number(ProtobufLogsSerializer.deserializeResponse(response).partialSuccess?.rejectedLogRecords), 6);
    assert.equal(await countFor('initech'), 0);
  });
});
