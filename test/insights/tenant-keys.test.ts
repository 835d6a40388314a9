/**
 * Tenant keys read their own tenant on every /v1 read endpoint, route by route: with
 * `tenant` omitted the answer is their tenant's only (never another's, even where run and
 * record ids collide), naming another tenant is 403, and a key for several tenants must
 * name one. Admin keys still read every tenant.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { startTestService, type TestService } from '../support/service.js';

const ADMIN = 'admin-key-0123456789abcdef';
const INGEST = 'ingest-key-0123456789abcdef';
const ACME = 'tenant-acme-key-0123456789';
const BOTH = 'tenant-both-key-0123456789';
const NOW = Date.now();
const at = (minutesAgo: number) => new Date(NOW - minutesAgo * 60_000).toISOString();

/** The same run id and record id in two tenants, with different values and failures. */
function tenantEvents(tenant: string, value: number, code: string) {
  const base = { tenant, integration: 'salesforce', flow: 'orders.export', run: 'run-1' };
  return [
    { ...base, type: 'run.started', time: at(30) },
    { ...base, type: 'record.synced', time: at(29), record: { id: 'ORD-1', type: 'order', value, currency: 'USD' } },
    { ...base, type: 'record.failed', time: at(29), record: { id: 'ORD-2', type: 'order' }, error: { category: 'data', code, message: `${tenant} only` } },
    // No rule knows this one: it is listed by /v1/failures/unknown.
    { ...base, type: 'record.failed', time: at(29), record: { id: 'ORD-3', type: 'order' }, error: { message: `qzx ${tenant} oddity` } },
    { ...base, type: 'run.succeeded', time: at(28), records_total: 2 },
  ];
}

let svc: TestService;
let dir: string;

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'syncwatch-tenant-keys-'));
  writeFileSync(path.join(dir, 'config.yaml'), `keys:\n  - { key: ${ACME}, role: tenant, tenants: [acme] }\n  - { key: ${BOTH}, role: tenant, tenants: [acme, globex] }\n`);
  svc = await startTestService({ SYNCWATCH_ADMIN_KEY: ADMIN, SYNCWATCH_INGEST_KEY: INGEST, SYNCWATCH_CONFIG: path.join(dir, 'config.yaml') });
  const res = await request(svc.server).post('/v1/events').set('Authorization', `Bearer ${INGEST}`).send([...tenantEvents('acme', 100, 'acme_code'), ...tenantEvents('globex', 7, 'globex_code')]);
  assert.equal(res.status, 202);
  await svc.ingest.batcher.flush();
});
after(async () => {
  await svc?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const get = (url: string, query: Record<string, string>, key: string) => request(svc.server).get(url).query(query).set('Authorization', `Bearer ${key}`);

/** The tenants an answer names anywhere (ids, messages, filters). */
const named = (body: unknown) => [...new Set(JSON.stringify(body).match(/acme|globex/g) ?? [])].sort();

/** Each read route and its other parameters. */
const ROUTES: { url: string; query: Record<string, string> }[] = [
  { url: '/v1/health', query: {} },
  { url: '/v1/runs', query: {} },
  { url: '/v1/runs/run-1/report', query: {} },
  { url: '/v1/records', query: { record_id: 'ORD-2' } },
  { url: '/v1/failures', query: {} },
  { url: '/v1/failures/unknown', query: {} },
  { url: '/v1/value', query: {} },
  { url: '/v1/reports/value', query: { from: new Date(NOW - 86_400_000).toISOString(), to: new Date(NOW + 60_000).toISOString() } },
];

describe('tenant keys on every /v1 read endpoint', () => {
  for (const r of ROUTES) {
    test(`${r.url}: omitted tenant = the key's own; another tenant = 403; own tenant named = 200`, async () => {
      const own = await get(r.url, r.query, ACME);
      assert.equal(own.status, 200, JSON.stringify(own.body));
      assert.deepEqual(named(own.body), ['acme'], 'only acme data');

      const ownNamed = await get(r.url, { ...r.query, tenant: 'acme' }, ACME);
      assert.equal(ownNamed.status, 200);
      assert.deepEqual(named(ownNamed.body), ['acme']);

      const other = await get(r.url, { ...r.query, tenant: 'globex' }, ACME);
      assert.equal(other.status, 403, JSON.stringify(other.body));
      assert.equal(other.body.error.code, 'forbidden');

      const several = await get(r.url, r.query, BOTH);
      assert.equal(several.status, 400, JSON.stringify(several.body));
      assert.match(several.body.error.message, /^tenant: /);
      const chosen = await get(r.url, { ...r.query, tenant: 'globex' }, BOTH);
      assert.equal(chosen.status, 200);
      assert.deepEqual(named(chosen.body), ['globex']);
    });
  }

  test('admin keys still read every tenant when none is named', async () => {
    const health = await get('/v1/health', {}, ADMIN);
    assert.deepEqual([...new Set(health.body.connections.map((c: any) => c.tenant))].sort(), ['acme', 'globex']);
    const own = await get('/v1/value', {}, ACME);
    assert.equal(own.body.money_moved.by_currency.USD, 100, 'acme\'s money only');
    const value = await get('/v1/value', {}, ADMIN);
    assert.equal(value.body.money_moved.by_currency.USD, 107);
  });

  test('cross-tenant views stay admin-only: adoption, alerts, notifications', async () => {
    for (const url of ['/v1/adoption', '/v1/alerts']) {
      const res = await get(url, {}, ACME);
      assert.equal(res.status, 403, `${url}: ${JSON.stringify(res.body)}`);
    }
  });
});
