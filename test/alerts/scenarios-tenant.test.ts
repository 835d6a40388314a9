import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { ManualClock } from '../../src/clock.js';
import { ADMIN, MIN, SECRET, startReceivers, startScenario, waitFor, webhooks, type Receivers, type Scenario } from './scenarios-support.js';
import { TEST_EPOCH } from '../support/clock.js';

// Tenant-facing scenarios (docs/alerts.md#audiences, #subscriptions): the right tenant hears
// what it can act on, through its own subscription, and nobody else does.

// Ten past the hour: the volume-drop rule compares whole clock hours, so its baseline hours
// must contain the history below whatever the wall-clock time the suite runs at.
const base = TEST_EPOCH;
const DAY = 86_400_000;

const hook = (rx: Receivers, tenant: string) => rx.tenant.get(tenant)!;
const mailsTo = (rx: Receivers, address: string) => rx.smtp.mails.filter((m) => m.envelopeTo.includes(address));

async function subscribeAll(s: Scenario, tenants: string[], categories = ['data', 'endpoint', 'health']) {
  for (const t of tenants) {
    await s.subscribe(t, { emails: [`it@${t}.example`], webhooks: [{ url: `${hook(s.rx, t).url}/hooks/${t}`, secret: SECRET }], categories });
  }
}

describe('tenant scenarios', () => {
  const tenants = ['acme', 'globex'];
  let rx: Receivers;
  let s: Scenario;

  before(async () => {
    rx = await startReceivers(tenants);
    s = await startScenario(rx, new ManualClock(base));
    await subscribeAll(s, tenants);
  });
  after(async () => {
    await s.stop();
    await rx.close();
  });

  test('data validation failures for one tenant: its webhook and email name the records; nobody else hears of it', async () => {
    const failed = [
      { id: 'ORD-1001', message: 'email is required' },
      { id: 'ORD-1002', message: 'postal code "ABC" is not valid' },
      { id: 'ORD-1003', message: 'duplicate external id 88' },
    ];
    await s.post([
      ...failed.map((r, i) => ({
        type: 'record.failed',
        time: base - 5 * MIN + i * 1000,
        tenant: 'acme',
        integration: 'salesforce',
        flow: 'orders.export',
        run: 'run-acme-1',
        record: { id: r.id, type: 'order', value: 250, currency: 'USD' },
        error: { message: r.message, http_status: 422 },
      })),
      { type: 'record.synced', time: base - 4 * MIN, tenant: 'globex', integration: 'salesforce', flow: 'orders.export', run: 'run-globex-1', record: { id: 'ORD-9', type: 'order' } },
    ]);
    await s.tick(base);

    const sent = webhooks(hook(rx, 'acme'), 'alert.firing');
    assert.equal(sent.length, 1, 'at once: tenants are not made to wait for a group');
    const alert = sent[0].json.alert;
    assert.equal(alert.rule, 'data-failures');
    assert.equal(alert.tenant, 'acme');
    assert.deepEqual(alert.records.map((r: { id: string }) => r.id).sort(), ['ORD-1001', 'ORD-1002', 'ORD-1003']);
    assert.ok(alert.records.some((r: { message: string }) => r.message.includes('email is required')));
    assert.equal(sent[0].headers['webhook-id'], sent[0].json.id);

    await waitFor(() => mailsTo(rx, 'it@acme.example').length === 1, 10_000, "acme's mail");
    const mail = mailsTo(rx, 'it@acme.example')[0];
    assert.match(mail.subject ?? '', /^\[syncwatch\] acme: salesforce · orders\.export: /);
    assert.doesNotMatch(mail.subject ?? '', /salesforce.*salesforce/, 'the subject names the integration once');
    for (const id of ['ORD-1001', 'ORD-1002', 'ORD-1003']) {
      assert.ok(mail.text?.includes(id), `text names ${id}`);
      assert.ok(String(mail.html).includes(id), `html names ${id}`);
    }
    assert.deepEqual(mail.envelopeTo, ['it@acme.example']);

    await s.tick(base + MIN);
    assert.equal(hook(rx, 'globex').requests.length, 0, "globex's webhook heard nothing");
    assert.equal(mailsTo(rx, 'it@globex.example').length, 0, "globex's inbox heard nothing");
    assert.equal(webhooks(rx.ops).filter((r) => r.json.alerts.some((a: { rule: string }) => a.rule === 'data-failures')).length, 0, 'data failures are the tenant\'s, not the operator\'s');

    // GET /v1/alerts: the firing alert with its history (state changes and who was told).
    const res = await request(s.svc.server).get('/v1/alerts').query({ tenant: 'acme', status: 'firing' }).set('Authorization', `Bearer ${ADMIN}`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.alerts.map((a: { rule: string }) => a.rule), ['data-failures']);
    const listed = res.body.alerts[0];
    assert.equal(listed.fired_at, new Date(base).toISOString());
    assert.equal(listed.records.length, 3);
    assert.deepEqual(listed.history.map((h: { kind: string }) => h.kind), ['firing', 'notified', 'notified']);
    assert.ok(listed.history.every((h: { detail: string }) => !h.detail.includes('it@acme.example') && !h.detail.includes(SECRET)), 'no addresses or secrets in the history');
    const none = await request(s.svc.server).get('/v1/alerts').query({ tenant: 'globex', status: 'firing' }).set('Authorization', `Bearer ${ADMIN}`);
    assert.deepEqual(none.body.alerts, []);
  });

  test('a token about to expire: the tenant gets an email when the event arrives, without waiting for a tick', async () => {
    // The clock stands still and no tick runs: only the event path can send this mail.
    s.clock.set(base + 2 * MIN);
    await s.post([
      {
        type: 'auth.expiring',
        time: base + 2 * MIN,
        tenant: 'globex',
        integration: 'hubspot',
        flow: 'contacts.import',
        attributes: { expires_at: new Date(base + 3 * DAY).toISOString() },
      },
    ]);
    await waitFor(() => mailsTo(rx, 'it@globex.example').length === 1, 5_000, "globex's auth mail");
    const mail = mailsTo(rx, 'it@globex.example')[0];
    assert.match(mail.subject ?? '', /^\[syncwatch\] globex: hubspot: the authorisation expires/);
    assert.match(mail.text ?? '', /authori[sz]/i);
    const sent = webhooks(hook(rx, 'globex'), 'alert.firing');
    assert.equal(sent.length, 1);
    assert.equal(sent[0].json.alert.rule, 'auth-expiring');
    assert.equal(sent[0].json.created_at, new Date(base + 2 * MIN).toISOString(), 'sent at the instant the event was accepted');

    // The runner announces the same expiry again an hour later: the same news, not a second mail.
    s.clock.set(base + 62 * MIN);
    await s.post([{ type: 'auth.expiring', time: base + 62 * MIN, tenant: 'globex', integration: 'hubspot', flow: 'contacts.import', attributes: { expires_at: new Date(base + 3 * DAY).toISOString() } }]);
    await s.tick(base + 63 * MIN);
    assert.equal(mailsTo(rx, 'it@globex.example').length, 1);
    assert.equal(mailsTo(rx, 'it@acme.example').filter((m) => /hubspot/.test(m.subject ?? '')).length, 0);
  });
});

describe('stale connection and volume drop', () => {
  let rx: Receivers;
  let s: Scenario;

  before(async () => {
    rx = await startReceivers(['acme']);
    s = await startScenario(rx, new ManualClock(base));
    await subscribeAll(s, ['acme']);
  });
  after(async () => {
    await s.stop();
    await rx.close();
  });

  test('a connection that stops running alerts only after more than 2× its cadence', async () => {
    // acme's QuickBooks invoices import ran every 10 minutes, the last at base − 10 min.
    await s.post(
      Array.from({ length: 6 }, (_, i) => ({
        type: 'run.succeeded',
        time: base - 60 * MIN + i * 10 * MIN,
        tenant: 'acme',
        integration: 'quickbooks',
        flow: 'invoices.import',
        run: `qb-${i}`,
      })),
    );
    await s.tick(base + 9 * MIN); // 19 min since the last success: late, not stale
    assert.equal(webhooks(hook(rx, 'acme'), 'alert.firing').length, 0);
    await s.tick(base + 11 * MIN); // 21 min > 2 × 10 min
    const sent = webhooks(hook(rx, 'acme'), 'alert.firing');
    assert.equal(sent.length, 1);
    assert.equal(sent[0].json.alert.rule, 'stale-connection');
    assert.equal(sent[0].json.alert.integration, 'quickbooks');
  });

  test('records that stop flowing without a single error raise a volume-drop alert', async () => {
    // acme's Shopify orders export synced ~30 records in this hour on each of the last 7 days; today none.
    const history = Array.from({ length: 7 }, (_, d) =>
      Array.from({ length: 30 }, (_, i) => ({
        type: 'record.synced',
        time: base - (d + 1) * DAY - 50 * MIN + i * MIN,
        tenant: 'acme',
        integration: 'shopify',
        flow: 'orders.export',
        run: `shop-${d}`,
        record: { id: `SO-${d}-${i}`, type: 'order', value: 40 },
      })),
    ).flat();
    await s.post(history);
    await s.tick(base + 12 * MIN); // pending: the rule waits 10 minutes
    await s.tick(base + 22 * MIN);
    await s.tick(base + 23 * MIN); // the operator route's group_wait
    const drop = webhooks(rx.ops, 'alert.firing').filter((r) => r.json.alerts.some((a: { rule: string }) => a.rule === 'volume-drop'));
    assert.equal(drop.length, 1);
    const alert = drop[0].json.alerts.find((a: { rule: string }) => a.rule === 'volume-drop');
    assert.equal(alert.integration, 'shopify');
    assert.equal(alert.tenant, 'acme');
  });
});
