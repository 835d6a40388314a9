import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { JsonTraceSerializer, ProtobufLogsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { ManualClock } from '../../src/clock.js';
import { TEST_EPOCH } from '../support/clock.js';
import { scenarioLogs, scenarioSpans } from '../support/otel-scenario.js';
import { startTestService, type TestService } from '../support/service.js';

/*
 * Request decoding in worker threads (SYNCWATCH_DECODE_THREADS) must change where the work
 * runs, nothing else: the same requests through a service decoding on its HTTP thread and
 * one decoding in a worker give the same answers and the same stored rows.
 */

const clock = new ManualClock(TEST_EPOCH);

const at = (minutesAgo: number) => new Date(TEST_EPOCH - minutesAgo * 60_000).toISOString();
const base = { tenant: 'acme', integration: 'quickbooks', flow: 'orders.export', run: 'r1' };
const events: Record<string, unknown>[] = [
  { id: 'e1', type: 'run.started', time: at(10), ...base },
  { id: 'e2', type: 'record.synced', time: at(9), ...base, record: { id: 'INV-1', type: 'invoice', value: 12.5, currency: 'EUR' }, attributes: { k: 'v' } },
  { id: 'e3', type: 'record.failed', time: at(8), ...base, record: { id: 'INV-2' }, error: { http_status: 503, message: 'Service Unavailable' } },
  { id: 'e4', type: 'record.failed', time: at(8), ...base, record: { id: 'INV-3' }, error: { code: 'ECONNREFUSED', type: 'ECONNREFUSED', outbound: true } },
  { type: 'record.synced', ...base, record: { id: 'INV-4' } },
  { id: 'e6', type: 'record.synced', ...base },
  { id: 'e7', type: 'record.synced', time: '1999-01-01T00:00:00Z', ...base, record: { id: 'INV-7' } },
  { id: 'e8', type: 'no.such', ...base },
];

interface Sent {
  path: string;
  type: string;
  body: string | Uint8Array;
}
const requests = async (): Promise<Sent[]> => [
  { path: '/v1/events', type: 'application/json', body: JSON.stringify(events) },
  { path: '/v1/events', type: 'application/x-ndjson', body: events.map((e) => JSON.stringify({ ...e, id: e.id && `nd-${e.id}` })).join('\n') },
  { path: '/v1/events', type: 'application/json', body: JSON.stringify(events[0]) },
  { path: '/v1/events', type: 'application/json', body: '[{"type": "run.started",' },
  { path: '/v1/events', type: 'application/json', body: '[]'.padStart(200, '[').padEnd(398, ']') },
  { path: '/v1/events', type: 'application/json', body: '' },
  { path: '/v1/events', type: 'application/x-ndjson', body: '{"a":1}\n{oops' },
  { path: '/v1/traces', type: 'application/x-protobuf', body: ProtobufTraceSerializer.serializeRequest(scenarioSpans('acme', 'run-pb', TEST_EPOCH - 3_600_000))! },
  { path: '/v1/traces', type: 'application/json', body: JsonTraceSerializer.serializeRequest(scenarioSpans('acme', 'run-json', TEST_EPOCH - 3_600_000))! },
  { path: '/v1/traces', type: 'application/x-protobuf', body: new Uint8Array([0x0a, 0xff, 0xff, 0x01]) },
  { path: '/v1/logs', type: 'application/x-protobuf', body: ProtobufLogsSerializer.serializeRequest(await scenarioLogs('acme', 'run-logs', TEST_EPOCH - 3_600_000))! },
  { path: '/v1/logs', type: 'application/json', body: '{"resourceLogs": 7}' },
];

async function send(svc: TestService, r: Sent) {
  const res = await fetch(`${svc.url}${r.path}`, { method: 'POST', headers: { 'Content-Type': r.type }, body: typeof r.body === 'string' ? r.body : new Uint8Array(r.body) });
  const type = res.headers.get('content-type') ?? '';
  return { status: res.status, body: type.includes('protobuf') ? Buffer.from(await res.arrayBuffer()).toString('hex') : await res.text() };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

async function stored(svc: TestService) {
  await svc.ingest.batcher.flush();
  const rows = await svc.driver.query<Record<string, unknown>>({ name: 't', sql: 'SELECT * FROM events ORDER BY event_id, type' });
  const spans = await svc.driver.query<Record<string, unknown>>({ name: 't', sql: 'SELECT * FROM otel_traces ORDER BY TraceId, SpanId' });
  // Generated ids are random; everything else must match.
  const events = rows.map((r): Record<string, unknown> => ({ ...r, event_id: UUID.test(String(r.event_id)) ? '(generated)' : r.event_id }));
  events.sort((x, y) => (JSON.stringify(x) < JSON.stringify(y) ? -1 : 1));
  return { events, spans };
}

describe('request decoding in worker threads', () => {
  /** The answers to `all` and the rows stored by a fresh service (one at a time: one engine per process). */
  async function run(threads: string, all: Sent[]) {
    const svc = await startTestService({ SYNCWATCH_DECODE_THREADS: threads }, { clock });
    try {
      const answers = [];
      for (const r of all) answers.push(await send(svc, r));
      return { answers, ...(await stored(svc)) };
    } finally {
      await svc.stop();
    }
  }

  test('the same requests give the same answers and the same stored rows with and without decode threads', async () => {
    const all = await requests();
    const a = await run('0', all);
    const b = await run('1', all);
    all.forEach((r, i) => assert.deepEqual(b.answers[i], a.answers[i], `${r.path} ${r.type}: ${String(r.body).slice(0, 60)}`));
    // The set covers acceptance, partial refusal and every kind of refused body.
    assert.deepEqual(a.answers.map((x) => x.status), [202, 202, 202, 400, 400, 400, 400, 200, 200, 400, 200, 400]);
    assert.ok(a.events.length >= 20, `${a.events.length} event rows`);
    assert.ok(a.events.some((r) => r.failure_category === 'endpoint' && r.failure_code === 'unavailable'), 'classified on both paths');
    assert.ok(a.spans.length >= 8, `${a.spans.length} spans`);
    assert.deepEqual(b.events, a.events);
    assert.deepEqual(b.spans, a.spans);
  });
});

describe('a decode worker that dies', () => {
  let svc: TestService;
  before(async () => {
    svc = await startTestService({ SYNCWATCH_DECODE_THREADS: '1' });
  });
  after(async () => svc?.stop());

  const line = (i: number) => JSON.stringify({ id: `big-${i}`, type: 'record.synced', tenant: 'acme', integration: 'quickbooks', record: { id: `INV-${i}`, type: 'invoice' } });
  const post = (body: string) => fetch(`${svc.url}/v1/events`, { method: 'POST', headers: { 'Content-Type': 'application/x-ndjson' }, body });

  test('a request whose worker dies answers 500 (no hang), nothing of it is stored, and the pool answers the next request', async () => {
    const [worker] = svc.ingest.decoder.workers();
    assert.ok(worker, 'a decode worker runs');
    // A body that keeps the worker busy for a while; the worker is stopped while it decodes.
    const big = Array.from({ length: 60_000 }, (_, i) => line(i)).join('\n');
    const answer = post(big);
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (svc.ingest.decoder.busy() === 0) return;
        clearInterval(poll);
        resolve();
      }, 1);
    });
    await worker.terminate();
    const res = await answer;
    assert.equal(res.status, 500, await res.clone().text());
    assert.equal((await res.json()).error.code, 'internal');
    const small = await post(line(1));
    assert.equal(small.status, 202, await small.clone().text());
    assert.equal((await small.json()).accepted, 1);
    assert.notEqual(svc.ingest.decoder.workers()[0], worker, 'a new worker took the place of the stopped one');
    await svc.ingest.batcher.flush();
    const rows = await svc.driver.query<{ n: string }>({ name: 't', sql: "SELECT count() AS n FROM events WHERE event_id LIKE 'big-%'" });
    assert.equal(Number(rows[0].n), 1, 'only the second request was stored');
  });

  test('a poison body (unparseable, too deep, too many events) is a 4xx naming the problem, and the worker lives on', async () => {
    const [worker] = svc.ingest.decoder.workers();
    const deep = await fetch(`${svc.url}/v1/events`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '['.repeat(100_000) });
    assert.equal(deep.status, 400);
    assert.equal((await deep.json()).error.code, 'too_deep');
    const many = await fetch(`${svc.url}/v1/events`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: `[${'{},'.repeat(100_000)}{}]` });
    assert.equal(many.status, 413);
    assert.equal((await many.json()).error.code, 'too_many_events');
    assert.equal(svc.ingest.decoder.workers()[0], worker, 'refusals do not cost a worker');
    assert.equal((await post(line(2))).status, 202);
  });
});
