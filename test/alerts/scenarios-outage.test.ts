import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../../src/clock.js';
import { MIN, SECRET, datadogEvents, startReceivers, startScenario, waitFor, webhooks, type Receivers, type Scenario } from './scenarios-support.js';
import { TEST_EPOCH } from '../support/clock.js';

// Scenarios of docs/alerts.md and docs/notify.md with real parts on loopback: the shipped alert rules, the
// embedded store, SMTP (smtp-server + mailparser), Datadog's official client against a
// loopback API, and webhook receivers that check signatures on their own.

const base = TEST_EPOCH;

/**
 * A partner (Salesforce) answering 503 to `tenant`'s record pushes: `n` failed records
 * between `from` and `to`. (Runs that fail outright would also fire consecutive-failed-runs,
 * a separate rule with its own grouped message.)
 */
const outage = (tenant: string, from: number, to: number, n = 10) =>
  Array.from({ length: n }, (_, i) => ({
    type: 'record.failed',
    time: from + Math.round(((to - from) * i) / (n - 1)),
    tenant,
    integration: 'salesforce',
    flow: 'orders.export',
    run: `${tenant}-run-${from}`,
    record: { id: `ORD-${from % 100_000}-${i}`, type: 'order' },
    error: { message: 'Salesforce answered 503 Service Unavailable', http_status: 503 },
  }));

/** Records that sync again. */
const recovery = (tenant: string, from: number, to: number, n = 20) =>
  Array.from({ length: n }, (_, i) => ({
    type: 'record.synced',
    time: from + Math.round(((to - from) * i) / (n - 1)),
    tenant,
    integration: 'salesforce',
    flow: 'orders.export',
    run: `${tenant}-run-${from}`,
    record: { id: `ORD-${from % 100_000}-ok-${i}`, type: 'order', value: 100 },
  }));

const mailsTo = (rx: Receivers, address: string) => rx.smtp.mails.filter((m) => m.envelopeTo.includes(address));

describe('partner outage across 40 tenants', () => {
  const tenants = Array.from({ length: 40 }, (_, i) => `tenant-${String(i).padStart(2, '0')}`);
  let rx: Receivers;
  let s: Scenario;

  before(async () => {
    rx = await startReceivers(['tenant-00']);
    s = await startScenario(rx, new ManualClock(base));
    await s.subscribe('tenant-00', {
      emails: ['it@tenant-00.example'],
      webhooks: [{ url: `${rx.tenant.get('tenant-00')!.url}/hook`, secret: SECRET }],
      categories: ['data', 'endpoint', 'infra', 'health'],
    });
  });
  after(async () => {
    await s.stop();
    await rx.close();
  });

  test('one partner incident: one operator message and one resolved, one Datadog event per transition, one notice to the subscribed tenant', async () => {
    await s.post(tenants.flatMap((t) => outage(t, base - 5 * MIN, base - MIN)));
    await s.tick(base); // 40 tenants failing on Salesforce's side: the incident opens at once
    assert.equal(webhooks(rx.ops).length, 0, 'nothing before group_wait');
    assert.deepEqual(webhooks(rx.tenant.get('tenant-00')!).map((w) => w.json.alert?.rule), ['partner-incident'], 'the tenant hears at once (group_wait 0)');
    await s.tick(base + 30_000);
    await s.tick(base + 2 * MIN); // partner-endpoint-outage fires per tenant now, inhibited by the incident
    await s.tick(base + 2 * MIN + 30_000);

    const firing = webhooks(rx.ops, 'alert.firing');
    assert.equal(firing.length, 1, 'one message for the whole outage');
    assert.equal(firing[0].json.alerts.length, 1);
    assert.equal(firing[0].json.alert.rule, 'partner-incident');
    assert.match(firing[0].json.alert.summary, /^Salesforce's API is failing \(unavailable\) for 40 tenants \(40 of 40 active connections\); 400 records failed/);
    await waitFor(() => mailsTo(rx, 'ops@vendor.example').length >= 1, 10_000, 'the ops mail');
    const mail = mailsTo(rx, 'ops@vendor.example');
    assert.equal(mail.length, 1);
    assert.match(mail[0].subject ?? '', /^\[syncwatch\] Salesforce's API is failing/);
    const events = datadogEvents(rx.datadog);
    assert.equal(events.length, 1, 'Datadog: one event for the incident');
    assert.ok(events.every((e) => e.alert_type === 'error' && e.tags.includes('integration:salesforce')));

    // The partner recovers: records sync again; the incident holds down 2 minutes, then resolves once.
    await s.post(tenants.flatMap((t) => recovery(t, base + 2 * MIN + 40_000, base + 3 * MIN)));
    await s.tick(base + 3 * MIN);
    await s.tick(base + 4 * MIN);
    assert.equal(webhooks(rx.ops, 'alert.resolved').length, 0, 'held down');
    await s.tick(base + 5 * MIN);
    const resolved = webhooks(rx.ops, 'alert.resolved');
    assert.equal(resolved.length, 1, 'resolved promptly, once');
    assert.equal(resolved[0].json.alert.rule, 'partner-incident');
    assert.notEqual(resolved[0].json.alert.resolved_at, null);
    await waitFor(() => mailsTo(rx, 'ops@vendor.example').length >= 2, 10_000, 'the resolved mail');
    assert.match(mailsTo(rx, 'ops@vendor.example')[1].subject ?? '', /^\[syncwatch\] Resolved: Salesforce's API is failing/);
    assert.deepEqual(datadogEvents(rx.datadog).map((e) => e.alert_type), ['error', 'success']);

    // The per-tenant endpoint alerts began during the incident: they stay explained until they clear, and never notify.
    for (let t = base + 9 * MIN; t <= base + 60 * MIN; t += 10 * MIN) await s.tick(t);
    assert.equal(webhooks(rx.ops).length, 2, 'nothing more');
    assert.deepEqual(webhooks(rx.tenant.get('tenant-00')!).map((w) => w.json.type), ['alert.firing', 'alert.resolved'], 'the tenant: the notice and its resolve');
    assert.deepEqual(webhooks(rx.tenant.get('tenant-00')!).map((w) => w.json.alert.rule), ['partner-incident', 'partner-incident']);
    await waitFor(() => mailsTo(rx, 'it@tenant-00.example').length >= 2, 10_000, 'the tenant mails');
    assert.equal(mailsTo(rx, 'it@tenant-00.example').length, 2);
  });
});

describe('restart mid-outage', () => {
  let rx: Receivers;
  let s: Scenario;
  const clock = new ManualClock(base);

  before(async () => {
    rx = await startReceivers();
    s = await startScenario(rx, clock);
  });
  after(async () => {
    await s.stop();
    await rx.close();
  });

  test('no duplicate firing after the restart, and the resolve is still sent', async () => {
    const tenants = ['acme', 'globex', 'initech'];
    // Three tenants: a partner incident (shipped rules: at least 3 tenants).
    await s.post(tenants.flatMap((t) => outage(t, base - 5 * MIN, base - MIN)));
    await s.tick(base);
    await s.tick(base + 2 * MIN);
    await s.tick(base + 2 * MIN + 30_000);
    assert.equal(webhooks(rx.ops, 'alert.firing').length, 1);

    await s.stop(true);
    s = await startScenario(rx, clock, { reuse: s });
    for (let t = base + 3 * MIN; t <= base + 6 * MIN; t += MIN) await s.tick(t);
    assert.equal(webhooks(rx.ops, 'alert.firing').length, 1, 'the new process knows the outage was already told');

    await s.post(tenants.flatMap((t) => recovery(t, base + 6 * MIN, base + 7 * MIN)));
    await s.tick(base + 7 * MIN);
    await s.tick(base + 12 * MIN);
    const resolved = webhooks(rx.ops, 'alert.resolved');
    assert.equal(resolved.length, 1);
    assert.equal(resolved[0].json.alert.rule, 'partner-incident', 'the incident resolves, after the restart too');
    assert.equal(webhooks(rx.ops, 'alert.firing').length, 1);
  });
});
