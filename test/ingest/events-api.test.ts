import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { startTestService, type TestService } from '../support/service.js';

const ADMIN = 'admin-key-0123456789abcdef';
const INGEST = 'ingest-key-0123456789abcdef';

let svc: TestService;

before(async () => {
  svc = await startTestService({ SYNCWATCH_ADMIN_KEY: ADMIN, SYNCWATCH_INGEST_KEY: INGEST, SYNCWATCH_MAX_BODY_BYTES: '200000' });
});
after(async () => svc.stop());

const post = (body: string | Buffer, type = 'application/json', key = INGEST) =>
  request(svc.server).post('/v1/events').set('Authorization', `Bearer ${key}`).set('Content-Type', type).send(body);

// fetch, not supertest: superagent re-serialises a Buffer body sent as application/json.
const postGzip = (body: Buffer) =>
  fetch(`${svc.url}/v1/events`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${INGEST}`, 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' },
    body: new Uint8Array(body),
  });

const lookup = (tenant: string, recordId: string) =>
  request(svc.server).get('/v1/records').query({ tenant, record_id: recordId }).set('Authorization', `Bearer ${ADMIN}`);

const event = (over: Record<string, unknown> = {}) => ({
  type: 'record.synced',
  tenant: 'acme',
  integration: 'salesforce',
  flow: 'orders.export',
  run: 'run-1',
  record: { id: 'ORD-1', type: 'order', value: 100 },
  ...over,
});

/** Polls until the record lookup returns `n` attempts (the batcher flushes every 100 ms in tests). */
async function attempts(tenant: string, recordId: string, n: number) {
  for (let i = 0; i < 100; i++) {
    const res = await lookup(tenant, recordId);
    if (res.body.attempts?.length >= n) return res.body.attempts;
    await new Promise((r) => setTimeout(r, 50));
  }
  return (await lookup(tenant, recordId)).body.attempts;
}

describe('POST /v1/events', () => {
  test('accepts a JSON array and the record lookup returns every attempt, oldest first, with its failure', async () => {
    const res = await post(
      JSON.stringify([
        event({ id: 'e-1', type: 'record.failed', time: '2026-11-20T10:00:00Z', record: { id: 'ORD-1001', value: 1250, currency: 'EUR' }, error: { message: 'email is required', http_status: 422 } }),
        event({ id: 'e-2', time: '2026-11-20T11:00:00Z', run: 'run-2', record: { id: 'ORD-1001', value: 1250, currency: 'EUR' } }),
      ]),
    );
    assert.equal(res.status, 202);
    assert.deepEqual(res.body, { accepted: 2, rejected: [] });
    const list = await attempts('acme', 'ORD-1001', 2);
    assert.equal(list.length, 2);
    assert.equal(list[0].status, 'failed');
    assert.equal(list[0].time, '2026-11-20T10:00:00.000Z');
    assert.equal(list[0].run, 'run-1');
    assert.deepEqual(list[0].failure, { category: 'data', code: 'validation', message: 'email is required' });
    assert.equal(list[0].value, 1250);
    assert.equal(list[0].currency, 'EUR');
    assert.equal(list[1].status, 'synced');
    assert.equal(list[1].run, 'run-2');
    assert.equal(list[1].failure, null);
  });

  test('accepts NDJSON, and gzip-compressed bodies', async () => {
    const ndjson = [event({ record: { id: 'ND-1' } }), event({ record: { id: 'ND-2' } })].map((e) => JSON.stringify(e)).join('\n') + '\n';
    const res = await post(ndjson, 'application/x-ndjson');
    assert.equal(res.status, 202);
    assert.equal(res.body.accepted, 2);
    const gz = await postGzip(gzipSync(JSON.stringify([event({ record: { id: 'GZ-1' } })])));
    assert.equal(gz.status, 202);
    assert.equal((await gz.json()).accepted, 1);
    assert.equal((await attempts('acme', 'GZ-1', 1)).length, 1);
    assert.equal((await attempts('acme', 'ND-2', 1)).length, 1);
  });

  test('valid events are accepted while invalid ones are rejected with their index and reason', async () => {
    const res = await post(
      JSON.stringify([
        event({ record: { id: 'MIX-1' } }),
        { type: 'record.synced', tenant: 'acme' },
        event({ type: 'nope' }),
        event({ time: '1970-01-01T00:00:00Z' }),
        event({ record: { id: 'MIX-2', value: 'ten dollars' } }),
        event({ type: 'record.failed', record: { id: 'MIX-3' } }),
        event({ tenant: 'has space' }),
        event({ attributes: Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, 'v'])) }),
        event({ record: { id: 'MIX-4' } }),
      ]),
    );
    assert.equal(res.status, 202);
    assert.equal(res.body.accepted, 2);
    const byIndex = Object.fromEntries(res.body.rejected.map((r: { index: number; error: string }) => [r.index, r.error]));
    assert.deepEqual(Object.keys(byIndex).map(Number), [1, 2, 3, 4, 5, 6, 7]);
    assert.match(byIndex[1], /integration: is required/);
    assert.match(byIndex[2], /type:/);
    assert.match(byIndex[3], /time: is more than 400 days in the past/);
    assert.match(byIndex[4], /record\.value/);
    assert.match(byIndex[5], /error: is required for record\.failed/);
    assert.match(byIndex[6], /tenant: must not contain whitespace/);
    assert.match(byIndex[7], /at most 64 attributes/);
  });

  test('an unparsable body is a 400 that says where', async () => {
    const res = await post('[{"type": "record.synced",\n "tenant": }]');
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'invalid_json');
    assert.match(res.body.error.message, /line 2, column/);
    const nd = await post('{"a":1}\n{oops\n', 'application/x-ndjson');
    assert.equal(nd.status, 400);
    assert.match(nd.body.error.message, /line 2/);
    const scalar = await post('42');
    assert.equal(scalar.status, 400);
    assert.equal(scalar.body.error.code, 'invalid_body');
    const empty = await post('');
    assert.equal(empty.status, 400);
  });

  test('an oversized body is a 413, and a corrupt gzip body a 400, never a 500', async () => {
    const big = JSON.stringify(Array.from({ length: 3000 }, (_, i) => event({ record: { id: `BIG-${i}` } })));
    const res = await post(big);
    assert.equal(res.status, 413);
    assert.equal(res.body.error.code, 'body_too_large');
    const corrupt = await postGzip(Buffer.from('definitely not gzip'));
    assert.equal(corrupt.status, 400);
    assert.equal((await corrupt.json()).error.code, 'invalid_body');
  });

  test('re-sending events with the same id never double counts', async () => {
    const batch = JSON.stringify([event({ id: 'dup-1', record: { id: 'DUP-1' } }), event({ id: 'dup-1', record: { id: 'DUP-1' } })]);
    assert.equal((await post(batch)).status, 202);
    await attempts('acme', 'DUP-1', 1);
    await svc.ingest.batcher.flush();
    assert.equal((await post(batch)).status, 202);
    await svc.ingest.batcher.flush();
    // The same id for another tenant is a different event.
    assert.equal((await post(JSON.stringify([event({ id: 'dup-1', tenant: 'globex', record: { id: 'DUP-1' } })]))).status, 202);
    await svc.ingest.batcher.flush();
    assert.equal((await lookup('acme', 'DUP-1')).body.attempts.length, 1);
    assert.equal((await lookup('globex', 'DUP-1')).body.attempts.length, 1);
    const rows = await svc.driver.query<{ n: string }>({ name: 't', sql: "SELECT count() AS n FROM events WHERE event_id = 'dup-1'" });
    assert.equal(Number(rows[0].n), 2);
  });

  test('injection strings are stored as data, never executed', async () => {
    const evil = "ORD'); DROP TABLE events; --";
    assert.equal((await post(JSON.stringify([event({ record: { id: evil } })]))).status, 202);
    const list = await attempts('acme', evil, 1);
    assert.equal(list.length, 1);
    const res = await lookup("acme' OR '1'='1", evil);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.attempts, []);
  });
});

describe('API keys', () => {
  test('ingest needs the ingest or admin key; a missing or wrong key is 401', async () => {
    const body = JSON.stringify([event({ record: { id: 'KEY-1' } })]);
    assert.equal((await request(svc.server).post('/v1/events').set('Content-Type', 'application/json').send(body)).status, 401);
    const wrong = await post(body, 'application/json', 'not-the-key-0123456789');
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.error.code, 'unauthorized');
    assert.equal((await post(body, 'application/json', ADMIN)).status, 202);
  });

  test('reads need the admin key: the ingest key is refused', async () => {
    const res = await request(svc.server).get('/v1/records').query({ tenant: 'acme', record_id: 'ORD-1' }).set('Authorization', `Bearer ${INGEST}`);
    assert.equal(res.status, 403);
    const none = await request(svc.server).get('/v1/records').query({ tenant: 'acme', record_id: 'ORD-1' });
    assert.equal(none.status, 401);
  });

  test('the record lookup names a missing parameter', async () => {
    const res = await request(svc.server).get('/v1/records').query({ tenant: 'acme' }).set('Authorization', `Bearer ${ADMIN}`);
    assert.equal(res.status, 400);
    assert.match(res.body.error.message, /^record_id: is required/);
  });

  test('unknown routes are a JSON 404', async () => {
    const res = await request(svc.server).get('/v1/nope');
    assert.equal(res.status, 404);
    assert.equal(res.body.error.code, 'not_found');
  });

});
