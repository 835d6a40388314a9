import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Alert, AlertLabels, Observation } from '../../src/alerts/model.js';
import { loadAlertsSettings } from '../../src/alerts/routing-config.js';
import { planNotifications, type NotifyLog, type Plan, type RoutingInput } from '../../src/alerts/routing.js';
import { inQuietHours, lastLocalTime } from '../../src/alerts/routing-time.js';
import type { Silence } from '../../src/alerts/silences.js';
import { applyObservations } from '../../src/alerts/state.js';
import { emptySubscription, type Subscription } from '../../src/alerts/subscriptions.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 22, 12, 0, 0);

const settings = loadAlertsSettings({
  file: { alerts: { receivers: { ops: { webhooks: [{ url: 'https://hooks.example/ops', secret: 'whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ=' }] } } } },
  smtp: { url: 'smtp://localhost:25', from: 'syncwatch@example', opsEmail: 'ops@example.com' },
  datadog: { apiKey: 'dd-key', site: 'datadoghq.com' },
});

function obs(fingerprint: string, active: boolean, labels: Partial<AlertLabels> = {}, extra: Partial<Observation> = {}): Observation {
  return {
    fingerprint,
    active,
    labels: { rule: 'partner-outage', severity: 'critical', category: 'endpoint', code: 'unavailable', audience: ['operator'], tenant: 'acme', integration: 'salesforce', flow: 'orders.export', ...labels },
    summary: `${labels.tenant ?? 'acme'}: salesforce is failing`,
    action: 'nothing to do',
    records: [],
    valueAtRisk: null,
    ...extra,
  };
}

/** Routing with memory: applies each plan's log updates, as the engine does. */
class Router {
  alerts = new Map<string, Alert>();
  log: NotifyLog = new Map();
  subscriptions = new Map<string, Subscription>();
  silences: Silence[] = [];
  observe(observations: Observation[], now: number, resolveAfter = 0) {
    applyObservations(this.alerts, observations, now, () => ({ for: 0, resolve_after: resolveAfter }));
  }
  plan(now: number, apply = true): Plan {
    const input: RoutingInput = { alerts: this.alerts.values(), now, settings, subscriptions: this.subscriptions, silences: this.silences, log: this.log };
    const plan = planNotifications(input);
    if (apply) for (const e of plan.logUpdates) this.log.set(e.key, e);
    return plan;
  }
}

const channels = (p: Plan) => p.deliveries.map((d) => `${d.message.type}:${d.targets[0].channel}`).sort();
const tenants = Array.from({ length: 40 }, (_, i) => `tenant-${String(i).padStart(2, '0')}`);

describe('routing', () => {
  test('one partner outage across 40 tenants is one operator message per receiver target, after group_wait', () => {
    const r = new Router();
    r.observe(tenants.map((t) => obs(`fp-${t}`, true, { tenant: t })), T0);
    assert.deepEqual(r.plan(T0 + 10_000).deliveries, [], 'group_wait (30 s) gathers the group first');
    const plan = r.plan(T0 + 30_000);
    assert.deepEqual(channels(plan), ['alert.firing:datadog', 'alert.firing:email', 'alert.firing:webhook']);
    for (const d of plan.deliveries) {
      assert.equal(d.message.alerts.length, 40);
      assert.equal(d.message.audience, 'operator');
      assert.equal(d.message.tenant, null);
    }
    assert.deepEqual(r.plan(T0 + 60_000).deliveries, [], 'told once');
  });

  test('recovery sends one resolved message per target at once, not after group_interval', () => {
    const r = new Router();
    r.observe(tenants.map((t) => obs(`fp-${t}`, true, { tenant: t })), T0);
    r.plan(T0 + 30_000);
    r.observe(tenants.map((t) => obs(`fp-${t}`, false, { tenant: t })), T0 + 60_000);
    const plan = r.plan(T0 + 60_000);
    assert.deepEqual(channels(plan), ['alert.resolved:datadog', 'alert.resolved:email', 'alert.resolved:webhook']);
    assert.equal(plan.deliveries[0].message.alerts.length, 40);
    assert.deepEqual(r.plan(T0 + 120_000).deliveries, []);
  });

  test('a partial recovery waits for the group interval; the last one is prompt', () => {
    const r = new Router();
    r.observe([obs('a', true, { tenant: 'a' }), obs('b', true, { tenant: 'b' })], T0);
    r.plan(T0 + 30_000);
    r.observe([obs('a', false, { tenant: 'a' }), obs('b', true, { tenant: 'b' })], T0 + MIN);
    assert.deepEqual(r.plan(T0 + MIN).deliveries, [], 'b still fires: a\'s resolve rides with the next group message');
    const later = r.plan(T0 + 30_000 + 5 * MIN);
    assert.deepEqual(channels(later), ['alert.resolved:datadog', 'alert.resolved:email', 'alert.resolved:webhook']);
    r.observe([obs('b', false, { tenant: 'b' })], T0 + 6 * MIN);
    assert.equal(r.plan(T0 + 6 * MIN).deliveries.length, 3, 'nothing left firing: prompt');
  });

  test('repeats no more often than repeat_interval (4 h for operators)', () => {
    const r = new Router();
    r.observe([obs('a', true)], T0);
    r.plan(T0 + 30_000);
    let sent = 0;
    for (let t = T0 + MIN; t <= T0 + 9 * 60 * MIN; t += 5 * MIN) {
      r.observe([obs('a', true)], t);
      sent += r.plan(t).deliveries.length;
    }
    assert.equal(sent, 2 * 3, 'two repeats in 9 hours, to each of the three targets');
  });

  test('a tenant hears only of its own alerts, through its own subscription, in the categories it chose', () => {
    const r = new Router();
    r.subscriptions.set('acme', { ...emptySubscription('acme'), emails: ['it@acme.example'], webhooks: [{ url: 'https://acme.example/hook', secret: 'whsec_YWNtZS1zZWNyZXQtYWNtZS1zZWNyZXQ=' }] });
    r.subscriptions.set('globex', { ...emptySubscription('globex'), emails: ['ops@globex.example'], categories: ['endpoint'] });
    const data = { rule: 'data-failures', severity: 'warning' as const, category: 'data' as const, code: 'validation', audience: ['tenant' as const] };
    r.observe([obs('acme-data', true, { ...data, tenant: 'acme' }), obs('globex-data', true, { ...data, tenant: 'globex' })], T0);
    const plan = r.plan(T0);
    assert.deepEqual(channels(plan), ['alert.firing:email', 'alert.firing:webhook'], 'group_wait 0 for tenants; globex did not subscribe to data');
    for (const d of plan.deliveries) {
      assert.equal(d.message.tenant, 'acme');
      assert.equal(d.message.audience, 'tenant');
      assert.deepEqual(d.message.alerts.map((a) => a.labels.tenant), ['acme']);
    }
    const email = plan.deliveries.find((d) => d.targets[0].channel === 'email')!;
    assert.deepEqual(email.targets[0], { channel: 'email', to: ['it@acme.example'] });
  });

  test('silenced alerts notify nobody; when the silence ends a still-firing alert is told', () => {
    const r = new Router();
    r.silences = [{ id: 's1', matchers: [{ label: 'integration', op: '=', value: 'salesforce' }], startsAt: T0, endsAt: T0 + 60 * MIN, createdBy: 'ops', comment: 'maintenance', createdAt: T0 }];
    r.observe([obs('a', true), obs('n', true, { integration: 'netsuite' })], T0);
    const plan = r.plan(T0 + 30_000);
    assert.ok(plan.deliveries.every((d) => d.message.alerts.every((a) => a.labels.integration === 'netsuite')));
    assert.equal(plan.deliveries.length, 3);
    const after = r.plan(T0 + 61 * MIN);
    assert.ok(after.deliveries.some((d) => d.message.alerts.some((a) => a.fingerprint === 'a')));
  });

  test('quiet hours hold tenant email until they end; webhooks go at once', () => {
    const r = new Router();
    r.subscriptions.set('acme', {
      ...emptySubscription('acme'),
      emails: ['it@acme.example'],
      webhooks: [{ url: 'https://acme.example/hook', secret: 'whsec_YWNtZS1zZWNyZXQtYWNtZS1zZWNyZXQ=' }],
      quietHours: { start: '22:00', end: '07:00', timezone: 'Europe/Paris' },
    });
    const night = Date.UTC(2026, 10, 22, 23, 0, 0); // 00:00 in Paris (UTC+1)
    r.observe([obs('d', true, { category: 'data', audience: ['tenant'], rule: 'data-failures' })], night);
    assert.deepEqual(channels(r.plan(night)), ['alert.firing:webhook']);
    assert.deepEqual(r.plan(Date.UTC(2026, 10, 23, 5, 59, 0)).deliveries, [], '06:59 in Paris: still quiet');
    assert.deepEqual(channels(r.plan(Date.UTC(2026, 10, 23, 6, 0, 0))), ['alert.firing:email'], '07:00 in Paris');
  });

  test('digest tenants get one daily mail of low-severity alerts; critical ones and webhooks stay immediate', () => {
    const r = new Router();
    r.subscriptions.set('acme', { ...emptySubscription('acme'), emails: ['it@acme.example'], delivery: 'digest', webhooks: [{ url: 'https://acme.example/hook', secret: 'whsec_YWNtZS1zZWNyZXQtYWNtZS1zZWNyZXQ=' }] });
    const labels = { category: 'data' as const, audience: ['tenant' as const], rule: 'data-failures' };
    r.plan(Date.UTC(2026, 10, 22, 9, 0, 0)); // the day's digest slot has passed: nothing to send
    r.observe([obs('low', true, { ...labels, severity: 'warning' })], T0);
    r.observe([obs('high', true, { ...labels, severity: 'critical', rule: 'data-critical' })], T0 + MIN);
    const now = r.plan(T0 + MIN);
    assert.deepEqual(channels(now), ['alert.firing:email', 'alert.firing:webhook', 'alert.firing:webhook']);
    assert.deepEqual(now.deliveries.find((d) => d.targets[0].channel === 'email')!.message.alerts.map((a) => a.fingerprint), ['high']);
    assert.deepEqual(r.plan(Date.UTC(2026, 10, 23, 7, 59, 0)).deliveries, []);
    const digest = r.plan(Date.UTC(2026, 10, 23, 8, 0, 0));
    assert.deepEqual(channels(digest), ['alert.digest:email']);
    assert.deepEqual(digest.deliveries[0].message.alerts.map((a) => a.fingerprint), ['low']);
    assert.deepEqual(r.plan(Date.UTC(2026, 10, 23, 8, 30, 0)).deliveries, [], 'one digest a day');
  });

  test('message ids are the same when a plan is made again from the same state (a crash before the log was written)', () => {
    const r = new Router();
    r.observe([obs('a', true)], T0);
    const first = r.plan(T0 + 30_000, false);
    const again = r.plan(T0 + 45_000, false);
    assert.deepEqual(first.deliveries.map((d) => d.message.id), again.deliveries.map((d) => d.message.id));
    assert.equal(new Set(first.deliveries.map((d) => d.message.id)).size, 3, 'one id per target');
  });
});

describe('wall-clock helpers', () => {
  test('quiet hours across midnight in a time zone', () => {
    const q = { start: '22:00', end: '07:00', timezone: 'America/New_York' };
    assert.equal(inQuietHours(q, Date.UTC(2026, 10, 23, 3, 30)), true); // 22:30 EST
    assert.equal(inQuietHours(q, Date.UTC(2026, 10, 23, 12, 0)), false); // 07:00 EST
    assert.equal(inQuietHours(null, T0), false);
  });

  test('the last digest time is the latest local HH:MM at or before now', () => {
    assert.equal(lastLocalTime(Date.UTC(2026, 10, 22, 12, 0), '08:00', 'UTC'), Date.UTC(2026, 10, 22, 8, 0));
    assert.equal(lastLocalTime(Date.UTC(2026, 10, 22, 7, 0), '08:00', 'UTC'), Date.UTC(2026, 10, 21, 8, 0));
    assert.equal(lastLocalTime(Date.UTC(2026, 10, 22, 12, 0), '08:00', 'Europe/Paris'), Date.UTC(2026, 10, 22, 7, 0));
    assert.equal(lastLocalTime(Date.UTC(2026, 6, 1, 12, 0), '08:00', 'Europe/Paris'), Date.UTC(2026, 6, 1, 6, 0), 'summer time');
  });
});
