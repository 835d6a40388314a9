// OTLP ingest throughput, same run, same service: spans over OTLP/HTTP (/v1/traces) and
// OTLP/gRPC, log records over OTLP/HTTP (/v1/logs) and OTLP/gRPC (docs/scaling.md#benchmarks).
// Bodies are protobuf ExportTrace/LogsServiceRequests built before timing; each phase is
// timed from its first request until all its rows are counted in the store.
import { appendFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { drainPending } from 'chdb';
import { Command } from 'commander';
import { loadConfig } from '../src/config.js';
import { otlpType } from '../src/ingest/otlp/protobuf.js';
import { createLogger } from '../src/logger.js';
import { describeResponsiveness, watchResponsiveness } from './responsiveness.js';
import { startService, type Service } from '../src/main.js';
import { freePort } from '../test/support/free-port.js';
import { describeEnvironment, embeddedEngineVersion, positiveInt } from './report.js';
import { exportTenantRows, runStoredCeiling, type NativeExport } from './phases.js';

const RESULTS = fileURLToPath(new URL('./RESULTS.md', import.meta.url));
const KEY = 'bench-ingest-key-0123456789abcdef';

const opts = new Command('bench:otlp')
  .description('OTLP/HTTP and OTLP/gRPC, traces and logs, into one service')
  .option('--records <n>', 'records per phase (a span or a log record each)', positiveInt, 100_000)
  .option('--batch <n>', 'records per request', positiveInt, 1_000)
  .option('--concurrency <n>', 'requests in flight', positiveInt, 4)
  .option('--note <text>', 'label for the RESULTS.md section')
  .option('--no-write', 'print only; do not append to bench/RESULTS.md')
  .parse()
  .opts<{ records: number; batch: number; concurrency: number; note?: string; write: boolean }>();

const str = (key: string, value: string) => ({ key, value: { stringValue: value } });
const hex = (n: number, bytes: number) => Buffer.from(n.toString(16).padStart(bytes * 2, '0'), 'hex');
const nanos = (ms: number) => String(BigInt(ms) * 1_000_000n);
const baseMs = Date.now() - 3_600_000;

/** Record spans (one per record, 50 per run trace) of one tenant, as request bodies. */
function traceBodies(tenant: string, phase: number): Buffer[] {
  const type = otlpType('ExportTraceServiceRequest');
  const bodies: Buffer[] = [];
  for (let from = 0; from < opts.records; from += opts.batch) {
    const spans = [];
    for (let i = from; i < Math.min(opts.records, from + opts.batch); i++) {
      const t = baseMs + i;
      spans.push({
        traceId: hex(phase * 1e9 + Math.floor(i / 50), 16),
        spanId: hex(phase * 1e9 + i + 1, 8),
        name: 'record',
        kind: 3,
        startTimeUnixNano: nanos(t),
        endTimeUnixNano: nanos(t + 5),
        attributes: [str('integration.flow', 'orders.export'), str('integration.run.id', `run-${Math.floor(i / 50)}`), str('record.id', `ORD-${i}`), str('record.type', 'order'), { key: 'record.value', value: { doubleValue: 10 + (i % 90) } }],
        status: i % 20 === 0 ? { code: 2, message: 'Service Unavailable' } : {},
      });
    }
    const request = { resourceSpans: [{ resource: { attributes: [str('service.name', 'bench'), str('tenant.id', tenant), str('integration.id', 'shop')] }, scopeSpans: [{ scope: { name: 'bench' }, spans }] }] };
    bodies.push(Buffer.from(type.encode(type.fromObject(request)).finish()));
  }
  return bodies;
}

/** record.synced / record.failed log records of one tenant, as request bodies. */
function logBodies(tenant: string): Buffer[] {
  const type = otlpType('ExportLogsServiceRequest');
  const bodies: Buffer[] = [];
  for (let from = 0; from < opts.records; from += opts.batch) {
    const logRecords = [];
    for (let i = from; i < Math.min(opts.records, from + opts.batch); i++) {
      const failed = i % 20 === 0;
      logRecords.push({
        timeUnixNano: nanos(baseMs + i),
        eventName: failed ? 'record.failed' : 'record.synced',
        body: failed ? { stringValue: 'Service Unavailable' } : undefined,
        attributes: [str('integration.flow', 'orders.export'), str('integration.run.id', `run-${Math.floor(i / 50)}`), str('record.id', `ORD-${i}`), str('record.type', 'order'), { key: 'record.value', value: { doubleValue: 10 + (i % 90) } }, ...(failed ? [{ key: 'http.response.status_code', value: { intValue: 503 } }] : [])],
      });
    }
    const request = { resourceLogs: [{ resource: { attributes: [str('service.name', 'bench'), str('tenant.id', tenant), str('integration.id', 'shop')] }, scopeLogs: [{ scope: { name: 'bench' }, logRecords }] }] };
    bodies.push(Buffer.from(type.encode(type.fromObject(request)).finish()));
  }
  return bodies;
}

type Send = (body: Buffer) => Promise<void>;

const httpSend = (service: Service, route: string): Send => async (body) => {
  const res = await fetch(`${service.url}${route}`, { method: 'POST', headers: { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/x-protobuf' }, body: new Uint8Array(body) });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`${route} answered ${res.status}`);
};

function grpcSend(client: grpc.Client, service: string): Send {
  const metadata = new grpc.Metadata();
  metadata.set('authorization', `Bearer ${KEY}`);
  const id = (b: Buffer) => b;
  return (body) =>
    new Promise((resolve, reject) => {
      client.makeUnaryRequest(`/opentelemetry.proto.collector.${service}/Export`, id, id, body, metadata, (err) => (err ? reject(err) : resolve()));
    });
}

/** Sends the bodies with bounded concurrency; seconds until the tenant's rows are all in the store. */
async function phase(service: Service, tenant: string, bodies: Buffer[], send: Send, rowsPerRecord: number): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: opts.concurrency }, async () => {
    while (next < bodies.length) await send(bodies[next++]);
  }));
  await service.ingest.batcher.flush();
  const [{ n }] = await service.driver.query<{ n: string }>({ name: 'bench.count', sql: 'SELECT count() AS n FROM events WHERE tenant = {tenant:String}', params: { tenant } });
  const seconds = (performance.now() - t0) / 1000;
  if (Number(n) !== opts.records * rowsPerRecord) throw new Error(`${tenant}: ${n} event rows stored, expected ${opts.records * rowsPerRecord}`);
  return seconds;
}

const dataDir = mkdtempSync(path.join(tmpdir(), 'syncwatch-bench-otlp-'));
const grpcPort = await freePort();
// SYNCWATCH_DECODE_THREADS from the environment (0: decode on the HTTP thread), to compare the two.
const decodeThreads = process.env.SYNCWATCH_DECODE_THREADS ? { SYNCWATCH_DECODE_THREADS: process.env.SYNCWATCH_DECODE_THREADS } : {};
const config = loadConfig({ ...decodeThreads, PORT: '0', HOST: '127.0.0.1', SYNCWATCH_GRPC_PORT: String(grpcPort), SYNCWATCH_DATA_DIR: dataDir, SYNCWATCH_LOG_LEVEL: 'silent', SYNCWATCH_INGEST_KEY: KEY });
const startLoad = (await import('node:os')).loadavg().map((l) => l.toFixed(1)).join(' / ');
process.stderr.write(`building ${4 * Math.ceil(opts.records / opts.batch)} request bodies of ${opts.batch} records…\n`);
const phases = [
  { name: 'spans, OTLP/HTTP protobuf `/v1/traces`', tenant: 'http-traces', bodies: traceBodies('http-traces', 1), rows: 1 },
  { name: 'spans, OTLP/gRPC TraceService', tenant: 'grpc-traces', bodies: traceBodies('grpc-traces', 2), rows: 1 },
  { name: 'log records, OTLP/HTTP protobuf `/v1/logs`', tenant: 'http-logs', bodies: logBodies('http-logs'), rows: 1 },
  { name: 'log records, OTLP/gRPC LogsService', tenant: 'grpc-logs', bodies: logBodies('grpc-logs'), rows: 1 },
];
const service = await startService(config, createLogger('silent'));
const client = new grpc.Client(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure());
const results: [string, string][] = [];
let spansSeconds = 0;
let exported: NativeExport[] = [];
try {
  const senders: Send[] = [httpSend(service, '/v1/traces'), grpcSend(client, 'trace.v1.TraceService'), httpSend(service, '/v1/logs'), grpcSend(client, 'logs.v1.LogsService')];
  for (const [i, p] of phases.entries()) {
    process.stderr.write(`${p.name}…\n`);
    const watch = watchResponsiveness(service.url);
    const seconds = await phase(service, p.tenant, p.bodies, senders[i], p.rows);
    const responsive = describeResponsiveness(await watch.stop());
    results.push([p.name, `${Math.round(opts.records / seconds).toLocaleString('en-US')} records/s (${seconds.toFixed(2)} s); HTTP thread: ${responsive}`]);
    if (i === 0) spansSeconds = seconds;
  }
  // C's input: the very rows ingest made of the OTLP/HTTP spans (timed after the service closed).
  exported = await exportTenantRows(service.driver, path.join(dataDir, 'clickhouse'), { events: 'tenant', otel_traces: "ResourceAttributes['tenant.id']" }, 'http-traces');
} finally {
  client.close();
  await service.close();
  await drainPending();
  rmSync(dataDir, { recursive: true, force: true });
}

process.stderr.write('C: the same span and event rows, Native, into bare tables…\n');
const c = await runStoredCeiling(exported);
results.push([
  'C engine ceiling: the OTLP/HTTP phase\'s span and event rows, one Native insert each into `otel_traces` and `events` without views',
  `${Math.round(opts.records / c.seconds).toLocaleString('en-US')} spans/s (${c.seconds.toFixed(2)} s, ${c.rows.toLocaleString('en-US')} rows)`,
]);
results.push(['A/C for spans over OTLP/HTTP protobuf', (c.seconds / spansSeconds).toFixed(3)]);
const env = await describeEnvironment(embeddedEngineVersion);
const lines: [string, string][] = [
  ['records per phase', `${opts.records.toLocaleString('en-US')} (${Math.ceil(opts.records / opts.batch)} requests of ${opts.batch}, concurrency ${opts.concurrency}; 5% failed; a span row and an event row per span, an event row per log record)`],
  ...results,
  ['decode threads', String(config.ingest.decodeThreads)],
  ['load average at start', startLoad],
  ...Object.entries(env),
];
for (const [k, v] of lines) console.log(`${k}: ${v}`);
if (opts.write) {
  const date = new Date().toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
  appendFileSync(RESULTS, `\n### ${date} — OTLP: traces and logs over HTTP and gRPC (\`npm run bench:otlp\`)${opts.note ? `: ${opts.note}` : ''}\n\nOne service in-process (embedded store, fresh data dir, loopback), one phase after the other, each timed from its first request until all its event rows are counted in the store. Pre-built protobuf bodies; gRPC through a raw grpc-js client (the exporters' own cost is not charged).\n\n| | |\n| --- | --- |\n${lines.map(([k, v]) => `| ${k} | ${v} |`).join('\n')}\n`);
  console.log(`\nappended to ${RESULTS}`);
}
