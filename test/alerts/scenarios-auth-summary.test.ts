import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../../src/clock.js';
import { MIN, datadogEvents, startReceivers, startScenario, waitFor, webhooks, type Receivers, type Scenario } from './scenarios-support.js';

// Audience by cause, over two and a half days on a manual clock: authorisations that
// expire go to their tenant alone; operators are never paged for them, and get exactly
// one summary a day (at alerts.digest.at, 08:00 UTC by default) listing them.

const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const base = Math.floor(Date.now() / DAY) * DAY - 2 * DAY + 9 * HOUR;
const SUMMARY_AT = [base + 23 * HOUR, base + 47 * HOUR];

/** When each tenant's QuickBooks authorisation expires, and when (if ever) it is renewed. */
const EPISODES = [
  { tenant: 'acme', expired: base + HOUR, renewed: base + 26 * HOUR },
  { tenant: 'globex', expired: base + 30 * HOUR, renewed: null },
];

/** Independent: the tenants a summary at `at` lists — expired before it and not renewed before the day it covers. */
const expectedTenants = (at: number) => EPISODES.filter((e) => e.expired <= at && (e.renewed === null || e.renewed > at - DAY)).map((e) => e.tenant);

describe('authorisations expire for two tenants over two days: operators get one daily summary, never a page', () => {
  let rx: Receivers;
  let s: Scenario;

  before(async () => {
    rx = await startReceivers();
    s = await startScenario(rx, new ManualClock(base));
    for (let at = base; at <= base + 60 * HOUR; at += 30 * MIN) {
      s.clock.set(at);
      const events = EPISODES.flatMap((e) => [
        ...(e.expired > at - 30 * MIN && e.expired <= at ? [{ type: 'auth.expired', time: e.expired, tenant: e.tenant, integration: 'quickbooks' }] : []),
        ...(e.renewed !== null && e.renewed > at - 30 * MIN && e.renewed <= at ? [{ type: 'integration.authorized', time: e.renewed, tenant: e.tenant, integration: 'quickbooks' }] : []),
      ]);
      if (events.length > 0) await s.post(events);
      await s.tick(at);
    }
    await waitFor(() => rx.smtp.mails.filter((m) => m.envelopeTo.includes('ops@vendor.example')).length >= SUMMARY_AT.length, 10_000, 'the summaries');
  });
  after(async () => {
    await s.stop();
    await rx.close();
  });

  test('the ops webhook: exactly one summary a day, listing that day\'s authorisation problems, and nothing else', () => {
    const hooks = webhooks(rx.ops);
    assert.deepEqual(hooks.map((h) => h.json.type), SUMMARY_AT.map(() => 'alert.digest'), 'one summary per day, no firing or resolved');
    hooks.forEach((h, i) => {
      assert.equal(h.json.audience, 'operator');
      assert.equal(Date.parse(h.json.created_at), SUMMARY_AT[i], 'sent at the first evaluation at or after 08:00');
      assert.deepEqual(h.json.alerts.map((a: { tenant: string }) => a.tenant), expectedTenants(SUMMARY_AT[i]));
      assert.ok(h.json.alerts.every((a: { rule: string; action: string }) => a.rule === 'auth-expired' && /^Re-authorise/.test(a.action)), 'names the cause and what the tenant was asked to do');
      assert.match(h.json.summary, /^daily summary: \d authorisation problems? for tenants to fix$/);
    });
  });

  test('the ops email: the same two summaries; Datadog (a paging channel): nothing', () => {
    const mails = rx.smtp.mails.filter((m) => m.envelopeTo.includes('ops@vendor.example'));
    assert.equal(mails.length, SUMMARY_AT.length);
    mails.forEach((m, i) => {
      const n = expectedTenants(SUMMARY_AT[i]).length;
      assert.equal(m.subject, `[syncwatch] daily summary: ${n} authorisation problem${n === 1 ? '' : 's'} for tenants to fix`);
      assert.match(m.text ?? '', /Only the tenant can re-authorise, so each tenant was told \(and nobody was paged\)/);
    });
    assert.equal(datadogEvents(rx.datadog).length, 0);
  });
});
