import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { ManualClock } from '../../src/clock.js';
import { ADMIN, MIN, SECRET, datadogEvents, startReceivers, startScenario, waitFor, webhooks, type Receivers, type Scenario } from './scenarios-support.js';

// Issue 12, rows 2 and 3, with the shipped rules and default timings: one cause, one
// alert, to the audience that can act on it; the symptoms it explains stay listed,
// inhibited, and notify nobody.

const base = Math.floor(Date.now() / (5 * MIN)) * 5 * MIN;
const mailsTo = (rx: Receivers, address: string) => rx.smtp.mails.filter((m) => m.envelopeTo.includes(address));
const flow = { tenant: 'acme', integration: 'quickbooks', flow: 'invoices.import' };

/** A 5-minute run at `at`: succeeded, or failed with `error`. */
const run = (at: number, error?: Record<string, unknown>) =>
  error ? { type: 'run.failed', time: at, ...flow, run: `qb-${at}`, error } : { type: 'run.succeeded', time: at, ...flow, run: `qb-${at}` };

/** Drives 5-minute runs from `from` to `to` (ticking every 30 s), each failing while `failing(at)` says so. */
async function drive(s: Scenario, from: number, to: number, failing: (at: number) => Record<string, unknown> | undefined, extra: (at: number) => Record<string, unknown>[] = () => []) {
  for (let at = from; at <= to; at += 30_000) {
    if ((at - base) % (5 * MIN) === 0) {
      s.clock.set(at);
      await s.post([...extra(at), run(at, failing(at))]);
    }
    await s.tick(at);
  }
}

async function history(s: Scenario) {
  const runs = [];
  for (let at = base - 60 * MIN; at < base; at += 5 * MIN) runs.push(run(at));
  await s.post(runs);
  await s.tick(base - MIN);
}

describe("one tenant's QuickBooks authorisation expires; runs fail 401 for 45 minutes, then the tenant re-authorises", () => {
  let rx: Receivers;
  let s: Scenario;
  let during: Record<string, any>[] = [];

  before(async () => {
    rx = await startReceivers(['acme']);
    s = await startScenario(rx, new ManualClock(base - 60 * MIN));
    await s.subscribe('acme', { emails: ['it@acme.example'], webhooks: [{ url: `${rx.tenant.get('acme')!.url}/hook`, secret: SECRET }] });
    await history(s);
    const unauthorised = { message: 'QuickBooks answered 401: invalid_grant (refresh token expired)', http_status: 401 };
    const failing = (at: number) => (at < base + 45 * MIN ? unauthorised : undefined);
    const events = (at: number) => {
      if (at === base) return [{ type: 'auth.expired', time: at - 1000, ...flow }];
      if (at === base + 45 * MIN) return [{ type: 'integration.authorized', time: at - 1000, ...flow }];
      return [];
    };
    await drive(s, base, base + 40 * MIN, failing, events);
    during = (await request(s.svc.server).get('/v1/alerts?tenant=acme').set('Authorization', `Bearer ${ADMIN}`)).body.alerts;
    await drive(s, base + 40 * MIN + 30_000, base + 45 * MIN, failing, events);
    for (let at = base + 46 * MIN; at <= base + 70 * MIN; at += MIN) await s.tick(at);
    await waitFor(() => mailsTo(rx, 'it@acme.example').length >= 2, 10_000, "the tenant's mails");
  });
  after(async () => {
    await s.stop();
    await rx.close();
  });

  test('the tenant: one "re-authorise" message, then one resolved, on each channel', () => {
    const hooks = webhooks(rx.tenant.get('acme')!);
    assert.deepEqual(hooks.map((w) => [w.json.type, w.json.alert?.rule]), [['alert.firing', 'auth-expired'], ['alert.resolved', 'auth-expired']]);
    assert.match(hooks[0].json.alert.summary, /the authorisation expired; nothing syncs until it is re-authorised/);
    assert.match(hooks[0].json.alert.action, /^Re-authorise the quickbooks connection/);
    const mails = mailsTo(rx, 'it@acme.example');
    assert.equal(mails.length, 2);
    assert.match(mails[0].subject ?? '', /^\[syncwatch\] acme: quickbooks: the authorisation expired/);
    assert.doesNotMatch(mails[0].subject ?? '', /quickbooks.*quickbooks/, 'the subject names the integration once');
    assert.match(mails[0].text ?? '', /Re-authorise/);
    assert.match(mails[1].subject ?? '', /^\[syncwatch\] Resolved: acme: quickbooks: the authorisation expired/);
  });

  test('operators: no page — no message, no Datadog event (the daily summary, if 08:00 falls in the run, is theirs: scenarios-auth-summary)', () => {
    assert.equal(webhooks(rx.ops).filter((w) => w.json.type !== 'alert.digest').length, 0);
    assert.equal(mailsTo(rx, 'ops@vendor.example').filter((m) => !/daily summary/.test(m.subject ?? '')).length, 0);
    assert.equal(datadogEvents(rx.datadog).length, 0);
  });

  test('the failures and staleness it explains stay listed, inhibited by the expired authorisation', () => {
    const byRule = new Map(during.map((a) => [a.rule, a]));
    for (const rule of ['endpoint-auth-failures', 'consecutive-failed-runs', 'stale-connection']) {
      assert.equal(byRule.get(rule)?.status, 'firing', `${rule} fires`);
      assert.equal(byRule.get(rule)?.inhibited_by?.rule, 'auth-expired', `${rule} is inhibited by auth-expired`);
    }
  });
});

describe('the runner crashes out of memory on 5 runs in a row, then recovers', () => {
  let rx: Receivers;
  let s: Scenario;

  before(async () => {
    rx = await startReceivers();
    s = await startScenario(rx, new ManualClock(base - 60 * MIN));
    await history(s);
    const oom = { message: 'worker killed: JavaScript heap out of memory' };
    await drive(s, base, base + 60 * MIN, (at) => (at < base + 25 * MIN ? oom : undefined));
    await waitFor(() => mailsTo(rx, 'ops@vendor.example').length >= 2, 10_000, 'the ops mails');
  });
  after(async () => {
    await s.stop();
    await rx.close();
  });

  test('operators: one message naming the crash and what to do, then one resolved', () => {
    const ops = webhooks(rx.ops);
    assert.deepEqual(ops.map((w) => [w.json.type, w.json.alerts.map((a: { rule: string }) => a.rule)]), [
      ['alert.firing', ['infrastructure-failure']],
      ['alert.resolved', ['infrastructure-failure']],
    ]);
    assert.match(ops[0].json.alert.summary, /infrastructure failures/);
    assert.match(ops[0].json.alert.action, /Check the runner/);
    const mails = mailsTo(rx, 'ops@vendor.example');
    assert.equal(mails.length, 2);
    assert.match(mails[1].subject ?? '', /^\[syncwatch\] Resolved:/);
    assert.deepEqual(datadogEvents(rx.datadog).map((e) => e.alert_type), ['error', 'success']);
  });
});
