import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import type { Batcher } from '../../src/ingest/index.js';
import { otlpType } from '../../src/ingest/otlp/protobuf.js';
import { freePort } from '../support/free-port.js';
import { nextResponse } from '../support/raw-http.js';
import { startTestService, type TestService } from '../support/service.js';

// The ingest admission limit (src/http/admission.ts). Requests are held deterministically at
// the batcher (the step that waits for the spool's group commit): a held request stays in
// flight until the test opens the gate, so which requests are over the limit never depends
// on timing.
const INGEST = 'ingest-key-admission-0123456789';
const MAX_REQUESTS = 3;
/** Bodies of BIG_EVENTS events are ~40 KB; the byte limit holds two of them, not three. */
const BIG_EVENTS = 80;

let svc: TestService;
let grpcTarget: string;
let bigBody: Buffer;

const event = (run: string, id: string, note = '') => ({
  id,
  type: 'record.synced',
  tenant: 'acme',
  integration: 'salesforce',
  flow: 'orders.export',
  run,
  record: { id: `ORD-${id}`, type: 'order', value: 10 },
  ...(note ? { attributes: { note } } : {}),
});
const bodyOf = (events: object[]) => Buffer.from(JSON.stringify(events));
const bigEvents = (run: string, prefix: string) => Array.from({ length: BIG_EVENTS }, (_, i) => event(run, `${prefix}-${i}`, 'n'.repeat(400)));

before(async () => {
  bigBody = bodyOf(bigEvents('run-size', 'size'));
  const port = await freePort();
  svc = await startTestService({
    SYNCWATCH_INGEST_KEY: INGEST,
    SYNCWATCH_GRPC_PORT: String(port),
    SYNCWATCH_MAX_INFLIGHT_REQUESTS: String(MAX_REQUESTS),
    SYNCWATCH_MAX_INFLIGHT_BYTES: String(Math.floor(bigBody.length * 2.5)),
  });
  grpcTarget = `127.0.0.1:${port}`;
});
after(async () => svc.stop());

/**
 * Holds every request that reaches the batcher until `open()`: the real `accept` runs then.
 * `reached(n)` resolves once n requests are held.
 */
function holdBatcher(batcher: Batcher) {
  const accept = batcher.accept;
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  let held = 0;
  const watchers: { n: number; resolve: () => void }[] = [];
  batcher.accept = async (rows) => {
    held++;
    for (const w of watchers) if (held >= w.n) w.resolve();
    await gate;
    return accept.call(batcher, rows);
  };
  return {
    held: () => held,
    reached: (n: number) => new Promise<void>((resolve) => (held >= n ? resolve() : watchers.push({ n, resolve }))),
    open() {
      batcher.accept = accept;
      open();
    },
  };
}

interface Answer {
  status: number;
  retryAfter: string | null;
  body: { accepted?: number; error?: { code: string; message: string } };
}

async function post(body: Buffer, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(`${svc.url}/v1/events`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${INGEST}`, 'Content-Type': 'application/json', ...headers },
    body: new Uint8Array(body),
  });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.json() };
}

/** Event ids stored for a run, with how many rows each has. */
async function storedIds(run: string): Promise<Map<string, number>> {
  await svc.ingest.batcher.flush();
  const rows = await svc.driver.query<{ id: string; n: string }>({
    name: 'test.admission_ids',
    sql: 'SELECT event_id AS id, count() AS n FROM events WHERE run = {run:String} GROUP BY id',
    params: { run },
  });
  return new Map(rows.map((r) => [r.id, Number(r.n)]));
}

const metric = async (name: string) => {
  const text = await (await fetch(`${svc.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line ? Number(line.split(' ').at(-1)) : null;
};

function assertAtCapacity(answer: Answer) {
  assert.equal(answer.status, 503);
  assert.equal(answer.retryAfter, '2');
  assert.equal(answer.body.error?.code, 'unavailable');
  assert.match(answer.body.error?.message ?? '', /at capacity/);
}

/** Resolves with `promise`, or rejects as soon as more than `limit` requests are held at once (no limit at work). */
function unless<T>(promise: Promise<T>, hold: ReturnType<typeof holdBatcher>, limit: number): Promise<T> {
  return Promise.race([promise, hold.reached(limit + 1).then(() => Promise.reject(new Error(`more than ${limit} requests reached the batcher at once: no admission limit`)))]);
}

describe('ingest admission limit', () => {
  test('a flood past SYNCWATCH_MAX_INFLIGHT_REQUESTS: the excess gets 503 + Retry-After at once, the admitted are stored exactly once, health answers, the limit is released', async () => {
    const hold = holdBatcher(svc.ingest.batcher);
    const flood = 4 * MAX_REQUESTS;
    const answers: Answer[] = [];
    let allRefused!: () => void;
    const refusedAll = new Promise<void>((resolve) => (allRefused = resolve));
    const requests = Array.from({ length: flood }, async (_, i) => {
      const answer = await post(bodyOf([event('run-flood', `flood-${i}-a`), event('run-flood', `flood-${i}-b`)]));
      answers[i] = answer;
      if (answers.filter((a) => a?.status === 503).length === flood - MAX_REQUESTS) allRefused();
      return answer;
    });

    // While the admitted requests are held, every other one has been answered: nothing waits in a queue.
    await unless(refusedAll, hold, MAX_REQUESTS);
    assert.equal(hold.held(), MAX_REQUESTS);
    for (const answer of answers.filter(Boolean)) assertAtCapacity(answer);
    assert.equal((await fetch(`${svc.url}/healthz`)).status, 200, 'the health endpoint answers during the flood');
    assert.equal(await metric('syncwatch_ingest_inflight_requests'), MAX_REQUESTS);
    assert.equal(await metric('syncwatch_ingest_refused_at_capacity_total'), flood - MAX_REQUESTS);

    hold.open();
    const all = await Promise.all(requests);
    const accepted = all.flatMap((a, i) => (a.status === 202 ? [i] : []));
    assert.equal(accepted.length, MAX_REQUESTS);
    for (const i of accepted) assert.equal(all[i].body.accepted, 2);

    // Released: the next request is admitted.
    const later = await post(bodyOf([event('run-flood', 'later')]));
    assert.equal(later.status, 202);
    assert.equal(await metric('syncwatch_ingest_inflight_requests'), 0);
    assert.equal(await metric('syncwatch_ingest_inflight_bytes'), 0);

    // Every 202'd event is stored exactly once; no 503'd event is stored.
    const expected = [...accepted.flatMap((i) => [`flood-${i}-a`, `flood-${i}-b`]), 'later'].sort();
    const stored = await storedIds('run-flood');
    assert.deepEqual([...stored.keys()].sort(), expected);
    assert.ok([...stored.values()].every((n) => n === 1));
  });

  test('bodies past SYNCWATCH_MAX_INFLIGHT_BYTES are refused, by declared length or by their size after gzip; a small one still fits', async () => {
    const hold = holdBatcher(svc.ingest.batcher);
    const held = [post(bodyOf(bigEvents('run-bytes', 'big1'))), post(bodyOf(bigEvents('run-bytes', 'big2')))];
    await hold.reached(2);
    // A third big body does not fit beside two (requests are under their limit).
    const third = await unless(post(bodyOf(bigEvents('run-bytes', 'big3'))), hold, 2);
    assertAtCapacity(third);
    // Gzipped, it declares a few KB; its size once inflated is what is charged.
    const gzipped = gzipSync(bodyOf(bigEvents('run-bytes', 'gz')));
    assert.ok(gzipped.length < bigBody.length / 4);
    assertAtCapacity(await unless(post(gzipped, { 'Content-Encoding': 'gzip' }), hold, 2));
    // A small body fits in what is left.
    const small = post(bodyOf([event('run-bytes', 'small')]));
    await unless(hold.reached(3), hold, 3);
    hold.open();
    assert.deepEqual((await Promise.all([...held, small])).map((a) => a.status), [202, 202, 202]);
    const stored = await storedIds('run-bytes');
    assert.equal(stored.size, 2 * BIG_EVENTS + 1);
    assert.ok(!stored.has('big3-0') && !stored.has('gz-0'));
  });

  test('OTLP/gRPC shares the limit: UNAVAILABLE with a RetryInfo of 2 s, then accepted once there is room', async () => {
    const hold = holdBatcher(svc.ingest.batcher);
    const held = Array.from({ length: MAX_REQUESTS }, (_, i) => post(bodyOf([event('run-grpc', `http-${i}`)])));
    await hold.reached(MAX_REQUESTS);
    const refused = await unless(exportLogs('grpc-1'), hold, MAX_REQUESTS);
    assert.equal(refused.code, grpc.status.UNAVAILABLE);
    assert.match(refused.details, /at capacity/);
    assert.equal(refused.retryDelaySeconds, 2);
    // OTLP/HTTP at the same moment: 503 too.
    const traces = await fetch(`${svc.url}/v1/traces`, { method: 'POST', headers: { Authorization: `Bearer ${INGEST}`, 'Content-Type': 'application/x-protobuf' }, body: new Uint8Array(0) });
    assert.equal(traces.status, 503);
    assert.equal(traces.headers.get('retry-after'), '2');
    hold.open();
    assert.deepEqual((await Promise.all(held)).map((a) => a.status), [202, 202, 202]);
    const ok = await exportLogs('grpc-2');
    assert.equal(ok.code, grpc.status.OK);
    const stored = await storedIds('run-grpc');
    assert.deepEqual([...stored.keys()].sort(), ['grpc-2', 'http-0', 'http-1', 'http-2']);
  });

  test('a 503 sent before the body arrived leaves the connection usable: the rest of the body is read and discarded, the next request is served', async () => {
    const hold = holdBatcher(svc.ingest.batcher);
    const held = Array.from({ length: MAX_REQUESTS }, (_, i) => post(bodyOf([event('run-socket', `held-${i}`)])));
    await hold.reached(MAX_REQUESTS);

    const body = bodyOf([event('run-socket', 'refused')]);
    const socket = connect(Number(new URL(svc.url).port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    const refused = nextResponse(socket);
    // Headers and half the body: the answer comes without waiting for the rest.
    socket.write(`POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${INGEST}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
    socket.write(body.subarray(0, body.length >> 1));
    const answer = await refused;
    assert.ok(!('failed' in answer), JSON.stringify(answer));
    assert.equal(answer.status, 503);
    assert.match(answer.head, /retry-after: 2/i);
    assert.equal(JSON.parse(answer.body).error.code, 'unavailable');
    hold.open();
    await Promise.all(held);

    socket.write(body.subarray(body.length >> 1));
    const next = nextResponse(socket);
    socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    const health = await next;
    assert.ok(!('failed' in health), JSON.stringify(health));
    assert.equal(health.status, 200);
    socket.destroy();
    assert.deepEqual([...(await storedIds('run-socket')).keys()].sort(), ['held-0', 'held-1', 'held-2']);
  });

  test('the OpenAPI document gives the ingest routes their 503 with Retry-After', async () => {
    const doc = await (await fetch(`${svc.url}/openapi.json`)).json();
    for (const path of ['/v1/events', '/v1/traces', '/v1/logs']) {
      const refused = doc.paths[path].post.responses['503'];
      assert.match(refused.description, /at capacity/, path);
      assert.ok(refused.headers['Retry-After'], path);
      assert.equal(refused.content['application/json'].schema.$ref, '#/components/schemas/Error');
    }
  });
});

/** One raw OTLP/gRPC logs export of a record.synced log record for run-grpc, with the RetryInfo delay of a refusal. */
function exportLogs(id: string): Promise<{ code: number; details: string; retryDelaySeconds: number | null }> {
  const type = otlpType('ExportLogsServiceRequest');
  const attrs = { 'event.id': id, 'tenant.id': 'acme', 'integration.id': 'salesforce', 'integration.flow': 'orders.export', 'integration.run.id': 'run-grpc', 'record.id': `ORD-${id}` };
  const body = Buffer.from(
    type
      .encode(
        type.fromObject({
          resourceLogs: [{ scopeLogs: [{ logRecords: [{ eventName: 'record.synced', timeUnixNano: String(BigInt(Date.now()) * 1_000_000n), attributes: Object.entries(attrs).map(([key, v]) => ({ key, value: { stringValue: v } })) }] }] }],
        }),
      )
      .finish(),
  );
  const client = new grpc.Client(grpcTarget, grpc.credentials.createInsecure());
  const metadata = new grpc.Metadata();
  metadata.set('authorization', `Bearer ${INGEST}`);
  const same = (b: Buffer) => b;
  return new Promise((resolve) => {
    client.makeUnaryRequest('/opentelemetry.proto.collector.logs.v1.LogsService/Export', same, same, body, metadata, (err) => {
      client.close();
      resolve(err ? { code: err.code, details: err.details, retryDelaySeconds: retryDelay(err.metadata) } : { code: grpc.status.OK, details: '', retryDelaySeconds: null });
    });
  });
}

/** The RetryInfo delay in a `grpc-status-details-bin` trailer (google.rpc.Status), decoded here independently of the service. */
function retryDelay(metadata: grpc.Metadata): number | null {
  const raw = metadata.get('grpc-status-details-bin')[0];
  if (!Buffer.isBuffer(raw)) return null;
  const root = protobuf.parse(`syntax = "proto3";
    message Any { string type_url = 1; bytes value = 2; }
    message Status { int32 code = 1; string message = 2; repeated Any details = 3; }
    message Duration { int64 seconds = 1; int32 nanos = 2; }
    message RetryInfo { Duration retry_delay = 1; }`).root;
  const status = root.lookupType('Status').toObject(root.lookupType('Status').decode(raw)) as { code: number; details: { typeUrl: string; value: Uint8Array }[] };
  assert.equal(status.code, grpc.status.UNAVAILABLE);
  const detail = status.details.find((d) => d.typeUrl === 'type.googleapis.com/google.rpc.RetryInfo');
  if (!detail) return null;
  const info = root.lookupType('RetryInfo').toObject(root.lookupType('RetryInfo').decode(detail.value), { longs: Number }) as { retryDelay: { seconds: number } };
  return info.retryDelay.seconds;
}
