import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import request from 'supertest';
import { ManualClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { startService, type Service } from '../../src/main.js';
import { createTestDatabase } from '../support/remote-db.js';

const ADMIN = 'admin-key-0123456789abcdef';
const ACME_KEY = 'tenant-acme-key-0123456789';
const INGEST = 'ingest-key-0123456789abcdef';
const SECRET = `whsec_${Buffer.from('acme-webhook-signing-secret-0123').toString('base64')}`;
const T0 = Date.UTC(2026, 10, 22, 12, 0, 0);

let svc: Service;
let dir: string;
let db: Awaited<ReturnType<typeof createTestDatabase>>;
const logs: string[] = [];
const clock = new ManualClock(T0);

before(async () => {
  db = await createTestDatabase();
  dir = mkdtempSync(path.join(tmpdir(), 'syncwatch-subs-'));
  const file = path.join(dir, 'config.yaml');
  writeFileSync(file, `keys:\n  - key: ${ACME_KEY}\n    role: tenant\n    tenants: [acme]\n`);
  const config = loadConfig({
    PORT: '0',
    SYNCWATCH_GRPC_PORT: '0',
    HOST: '127.0.0.1',
    SYNCWATCH_DATA_DIR: path.join(dir, 'data'),
    SYNCWATCH_ADMIN_KEY: ADMIN,
    SYNCWATCH_INGEST_KEY: INGEST,
    SYNCWATCH_CONFIG: file,
    // localhost is allowed by name and 10.9.0.0/16 by range; every other private address stays refused.
    SYNCWATCH_WEBHOOK_ALLOW: 'localhost,10.9.0.0/16',
    ...db.env,
  });
  // Every log line at every level is kept, to prove no secret is ever written.
  const sink = new Writable({ write: (chunk, _enc, cb) => (logs.push(String(chunk)), cb()) });
  svc = await startService(config, pino({ level: 'trace' }, sink), { clock, notify: { dispatchEveryMs: 0, reportMetrics: false }, alerts: { schedule: false, lease: { settleMs: 0 } } });
});
after(async () => {
  await svc.close();
  await db.drop();
  rmSync(dir, { recursive: true, force: true });
});

const put = (tenant: string, body: unknown, key = ADMIN) =>
  request(svc.server).put(`/v1/tenants/${tenant}/subscriptions`).set('Authorization', `Bearer ${key}`).send(body as object);
const get = (tenant: string, key = ADMIN) => request(svc.server).get(`/v1/tenants/${tenant}/subscriptions`).set('Authorization', `Bearer ${key}`);

const valid = {
  emails: ['it@acme.example'],
  webhooks: [{ url: 'https://10.9.0.7/syncwatch', secret: SECRET }],
  categories: ['data', 'endpoint'],
  delivery: 'immediate',
  quiet_hours: { start: '22:00', end: '07:00', timezone: 'Europe/Paris' },
};

describe('subscriptions API', () => {
  test('a tenant with no subscription hears nothing: GET shows the empty defaults', async () => {
    const res = await get('nobody');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { tenant: 'nobody', emails: [], webhooks: [], targets: [], categories: ['data', 'endpoint', 'health'], delivery: 'immediate', quiet_hours: null, value_report: { weekly: false, monthly: true }, updated_at: null });
  });

  test('PUT stores the subscription; GET returns it with the secret replaced by a hint', async () => {
    const res = await put('acme', valid);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const read = await get('acme');
    assert.equal(read.status, 200);
    assert.deepEqual(read.body.emails, ['it@acme.example']);
    assert.deepEqual(read.body.webhooks, [{ url: 'https://10.9.0.7/syncwatch', has_secret: true, secret_hint: `whsec_…${SECRET.slice(-4)}` }]);
    assert.deepEqual(read.body.quiet_hours, valid.quiet_hours);
    assert.equal(read.body.updated_at, new Date(T0).toISOString());
    for (const body of [res.text, read.text]) assert.ok(!body.includes(SECRET.slice(6, 20)), 'no part of the secret beyond the hint');
  });

  test('a webhook sent back without its secret keeps the stored one; a new URL needs one', async () => {
    const read = await get('acme');
    const roundTrip = { ...valid, webhooks: read.body.webhooks.map((w: { url: string }) => ({ url: w.url })) };
    assert.equal((await put('acme', roundTrip)).status, 200);
    assert.equal((await get('acme')).body.webhooks[0].has_secret, true);
    const fresh = await put('acme', { ...valid, webhooks: [{ url: 'https://10.9.0.8/new' }] });
    assert.equal(fresh.status, 400);
    assert.match(fresh.body.error.message, /webhooks\.0\.secret/);
  });

  test('invalid bodies are refused with a 400 that names the field', async () => {
    const cases: [unknown, RegExp][] = [
      [{ ...valid, emails: ['not-an-email'] }, /emails\.0/],
      [{ ...valid, delivery: 'weekly' }, /delivery/],
      [{ ...valid, categories: ['billing'] }, /categories\.0/],
      [{ ...valid, webhooks: [{ url: 'ftp://10.9.0.7/x', secret: SECRET }] }, /webhooks\.0\.url/],
      [{ ...valid, webhooks: [{ url: 'https://10.9.0.7/x', secret: 'short' }] }, /webhooks\.0\.secret/],
      [{ ...valid, quiet_hours: { start: '25:00', end: '07:00' } }, /quiet_hours\.start/],
      [{ ...valid, quiet_hours: { start: '22:00', end: '07:00', timezone: 'Mars/Olympus' } }, /quiet_hours\.timezone/],
      [{ ...valid, emails: 'it@acme.example' }, /emails/],
      [{ ...valid, sms: ['+33…'] }, /sms|unrecognized|Unrecognized/],
    ];
    for (const [body, field] of cases) {
      const res = await put('acme', body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.match(res.body.error.message, field);
    }
  });

  test('webhook URLs that reach private, loopback or link-local addresses are refused, naming the URL', async () => {
    for (const url of ['http://127.0.0.1:9000/hook', 'http://169.254.169.254/latest/meta-data', 'https://192.168.1.20/hook', 'http://[::1]/hook']) {
      const res = await put('acme', { ...valid, webhooks: [{ url, secret: SECRET }] });
      assert.equal(res.status, 400, url);
      assert.equal(res.body.error.code, 'webhook_url_refused');
      assert.ok(res.body.error.message.includes(new URL(url).hostname.replace(/^\[|\]$/g, '')), res.body.error.message);
    }
    const allowed = await put('acme', { ...valid, webhooks: [{ url: 'http://localhost:9000/hook', secret: SECRET }] });
    assert.equal(allowed.status, 200, 'SYNCWATCH_WEBHOOK_ALLOW lists localhost');
    assert.equal((await put('acme', valid)).status, 200, '10.9.0.0/16 is allowed too');
  });

  test('a tenant key manages its own subscriptions and no one else\'s; other keys are refused', async () => {
    assert.equal((await get('acme', ACME_KEY)).status, 200);
    assert.equal((await put('acme', valid, ACME_KEY)).status, 200);
    assert.equal((await get('globex', ACME_KEY)).status, 403);
    assert.equal((await put('globex', valid, ACME_KEY)).status, 403);
    assert.equal((await get('acme', INGEST)).status, 403);
    assert.equal((await request(svc.server).get('/v1/tenants/acme/subscriptions')).status, 401);
  });

  test('the secret never appears in the logs', () => {
    assert.ok(logs.length > 0);
    assert.ok(!logs.join('\n').includes(SECRET.slice(6)), 'secret found in logs');
  });
});

describe('silences API', () => {
  const post = (body: unknown) => request(svc.server).post('/v1/silences').set('Authorization', `Bearer ${ADMIN}`).send(body as object);
  const list = (state = 'all') => request(svc.server).get('/v1/silences').query({ state }).set('Authorization', `Bearer ${ADMIN}`);

  test('create with matchers and an end time, list it as active, expire it', async () => {
    const created = await post({
      matchers: [{ label: 'integration', value: 'salesforce' }, { label: 'tenant', op: '=~', value: 'acme|globex' }],
      ends_at: new Date(T0 + 2 * 3_600_000).toISOString(),
      created_by: 'ops@vendor.example',
      comment: 'Salesforce maintenance window',
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.state, 'active');
    assert.deepEqual(created.body.matchers[0], { label: 'integration', op: '=', value: 'salesforce' });

    const active = await list('active');
    assert.deepEqual(active.body.silences.map((s: { id: string }) => s.id), [created.body.id]);

    clock.advance(60_000);
    const expired = await request(svc.server).delete(`/v1/silences/${created.body.id}`).set('Authorization', `Bearer ${ADMIN}`);
    assert.equal(expired.status, 200);
    assert.equal(expired.body.state, 'expired');
    assert.equal(expired.body.ends_at, new Date(T0 + 60_000).toISOString());
    assert.equal((await list('active')).body.silences.length, 0);
    assert.equal((await list('expired')).body.silences.length, 1);
  });

  test('bad silences are refused with a 400', async () => {
    const future = new Date(T0 + 3_600_000).toISOString();
    for (const body of [
      { matchers: [], ends_at: future },
      { matchers: [{ label: 'colour', value: 'red' }], ends_at: future },
      { matchers: [{ label: 'tenant', op: '=~', value: '(' }], ends_at: future },
      { matchers: [{ label: 'tenant', value: 'acme' }], ends_at: new Date(T0 - 1000).toISOString() },
      { matchers: [{ label: 'tenant', value: 'acme' }] },
    ]) {
      const res = await post(body);
      assert.equal(res.status, 400, JSON.stringify(body));
    }
    assert.equal((await request(svc.server).delete('/v1/silences/no-such-id').set('Authorization', `Bearer ${ADMIN}`)).status, 404);
  });

  test('silences are admin only', async () => {
    assert.equal((await request(svc.server).get('/v1/silences').set('Authorization', `Bearer ${ACME_KEY}`)).status, 403);
  });
});
