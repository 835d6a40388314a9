import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { z } from 'zod';
import { startTestService, type TestService } from '../support/service.js';

const ADMIN = 'admin-key-0123456789abcdef';
const INGEST = 'ingest-key-0123456789abcdef';

let svc: TestService;
before(async () => {
  svc = await startTestService({ SYNCWATCH_ADMIN_KEY: ADMIN, SYNCWATCH_INGEST_KEY: INGEST });
});
after(async () => svc.stop());

const classifyReq = (body: unknown, key = INGEST) => request(svc.server).post('/v1/classify').set('Authorization', `Bearer ${key}`).send(body as object);

describe('POST /v1/classify', () => {
  test('says category, code, retryable, the rule and why, for an ingest key and an admin key', async () => {
    for (const key of [INGEST, ADMIN]) {
      const res = await classifyReq({ integration: 'slack', http_status: 200, message: '{"ok":false,"error":"missing_scope","needed":"chat:write"}' }, key);
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { category: 'endpoint', code: 'auth', retryable: false, rule: 'vendor:slack:auth', reason: 'error code missing_scope' });
    }
  });
  test('uses the context: a loopback server.address is the runner\'s own dependency', async () => {
    const res = await classifyReq({ type: 'ECONNREFUSED', message: 'connect ECONNREFUSED', server_address: '127.0.0.1' });
    assert.deepEqual([res.body.category, res.body.code, res.body.retryable], ['infra', 'dependency', true]);
  });
  test('without a key it is 401; bad input is a 400 naming the field', async () => {
    assert.equal((await request(svc.server).post('/v1/classify').send({ message: 'x' })).status, 401);
    const bad = await classifyReq({ http_status: 'abc' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'invalid_body');
    assert.match(bad.body.error.message, /^http_status:/);
    const unknownField = await classifyReq({ mesage: 'typo' });
    assert.equal(unknownField.status, 400);
    const notJson = await request(svc.server).post('/v1/classify').set('Authorization', `Bearer ${INGEST}`).set('Content-Type', 'application/json').send('{oops');
    assert.equal(notJson.status, 400);
  });
});

describe('retryable and unknowns from ingested events', () => {
  const base = { tenant: 'acme', integration: 'netsuite', flow: 'invoices.export', run: 'run-1', type: 'record.failed' };
  const now = Date.now();
  const at = (minutesAgo: number) => new Date(now - minutesAgo * 60_000).toISOString();
  const events = [
    { ...base, id: 'u-1', time: at(30), record: { id: 'INV-1' }, error: { message: 'ledger frozen for period close' } },
    { ...base, id: 'u-2', time: at(20), record: { id: 'INV-2' }, error: { message: 'ledger frozen for period close' } },
    { ...base, id: 'u-3', time: at(10), tenant: 'globex', record: { id: 'INV-3' }, error: { message: 'ledger frozen for period close' } },
    { ...base, id: 'u-4', time: at(10), record: { id: 'INV-4' }, error: { message: 'gremlins in the sync' } },
    { ...base, id: 'r-1', time: at(5), record: { id: 'INV-5' }, error: { code: 'SSS_REQUEST_LIMIT_EXCEEDED', message: 'Request limit exceeded' } },
    { ...base, id: 'v-1', time: at(5), record: { id: 'INV-6' }, error: { code: 'USER_ERROR', message: 'Please enter value(s) for: Subsidiary' } },
  ];

  before(async () => {
    const res = await request(svc.server).post('/v1/events').set('Authorization', `Bearer ${INGEST}`).send(events);
    assert.deepEqual(res.body, { accepted: events.length, rejected: [] });
    await svc.ingest.batcher.flush();
  });

  test('each stored failure carries its category, code and retryable flag', async () => {
    const rows = await svc.driver.query({
      name: 'test.retryable',
      sql: "SELECT event_id, failure_category, failure_code, failure_retryable FROM events WHERE tenant IN ('acme', 'globex') ORDER BY event_id",
      params: {},
      schema: z.object({ event_id: z.string(), failure_category: z.string(), failure_code: z.string(), failure_retryable: z.coerce.number() }),
    });
    const byId = Object.fromEntries(rows.map((r) => [r.event_id, `${r.failure_category}.${r.failure_code}.${r.failure_retryable}`]));
    assert.equal(byId['r-1'], 'endpoint.rate_limited.1');
    assert.equal(byId['v-1'], 'data.validation.0');
    assert.equal(byId['u-1'], 'infra.unknown.0');
  });

  test('GET /v1/failures/unknown ranks unclassified messages by count, with tenants and times', async () => {
    const res = await request(svc.server).get('/v1/failures/unknown').query({ window: '24h' }).set('Authorization', `Bearer ${ADMIN}`);
    assert.equal(res.status, 200);
    assert.deepEqual(
      res.body.unknown.map((u: { integration: string; message: string; failures: number; tenants: number }) => [u.integration, u.message, u.failures, u.tenants]),
      [
        ['netsuite', 'ledger frozen for period close', 3, 2],
        ['netsuite', 'gremlins in the sync', 1, 1],
      ],
    );
    assert.equal(res.body.unknown[0].firstSeen, at(30));
    assert.equal(res.body.unknown[0].lastSeen, at(10));
    const one = await request(svc.server).get('/v1/failures/unknown').query({ window: '24h', tenant: 'globex' }).set('Authorization', `Bearer ${ADMIN}`);
    assert.deepEqual(one.body.unknown.map((u: { failures: number }) => u.failures), [1]);
    const bad = await request(svc.server).get('/v1/failures/unknown').query({ limit: '0' }).set('Authorization', `Bearer ${ADMIN}`);
    assert.equal(bad.status, 400);
    assert.equal((await request(svc.server).get('/v1/failures/unknown').set('Authorization', `Bearer ${INGEST}`)).status, 403);
  });
});
