import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { z } from 'zod';
import { evaluateWindowRules, loadAlertRules, type Alert } from '../../src/alerts/index.js';
import { ManualClock } from '../../src/clock.js';
import { TEST_EPOCH } from '../support/clock.js';
import { streamingRules } from '../support/rule-fixture.js';
import { MIN, SECRET, startReceivers, startScenario, waitFor, webhooks, type Receivers, type Scenario } from './scenarios-support.js';

// Streaming evaluation of window rules (docs/alerts.md#when-window-rules-fire): a threshold
// crossed by an accepted event fires without waiting for the periodic evaluation, and the
// periodic evaluation — run here by hand on a manual clock — agrees with every alert it raised.

const RULES = streamingRules('data-failures', 'endpoint-failure-rate', 'runs-failing', 'out-of-memory');

const base = TEST_EPOCH;
const where = { integration: 'salesforce', flow: 'orders.export' };
const dataFailure = (tenant: string, time: number, id: string) => ({
  type: 'record.failed',
  time,
  tenant,
  ...where,
  run: `run-${tenant}`,
  record: { id, type: 'order', value: 250, currency: 'USD' },
  error: { message: 'email is required', http_status: 422 },
});
const firing = (alerts: Alert[], rule: string) => alerts.filter((a) => a.status === 'firing' && a.labels.rule === rule);

describe('streaming evaluation of window rules', () => {
  const tenants = ['acme', 'globex', 'initech'];
  let rx: Receivers;
  let s: Scenario;

  before(async () => {
    rx = await startReceivers(tenants);
    s = await startScenario(rx, new ManualClock(base), { rules: RULES });
    for (const t of tenants) {
      await s.subscribe(t, { webhooks: [{ url: `${rx.tenant.get(t)!.url}/hooks/${t}`, secret: SECRET }], categories: ['data', 'endpoint', 'health'], delivery: 'immediate' });
    }
    await s.tick(base);
  });
  after(async () => {
    await s.stop();
    await rx.close();
  });

  test('the event that crosses a failure-count threshold notifies before the next tick, and the tick does not notify again', async () => {
    const streaming = s.svc.alerting.streaming!;
    await s.post([dataFailure('acme', base + 1_000, 'ORD-1'), dataFailure('acme', base + 2_000, 'ORD-2')]);
    s.clock.set(base + 5_000);
    await streaming.idle();
    assert.deepEqual(firing(s.engine.snapshot(), 'data-failures'), [], 'two failures are below the threshold of three');

    s.clock.set(base + 10_000);
    await s.post([dataFailure('acme', base + 9_000, 'ORD-3')]);
    await streaming.idle();
    const [alert] = firing(s.engine.snapshot(), 'data-failures');
    assert.ok(alert, 'the third failure fired the rule without a tick');
    assert.equal(alert.labels.tenant, 'acme');
    assert.equal(alert.value, 3, 'the count is the three failures posted');
    assert.equal(alert.firedAt, base + 10_000);
    await waitFor(() => webhooks(rx.tenant.get('acme')!, 'alert.firing').length === 1);

    const tick = await s.tick(base + 30_000);
    assert.equal(tick.transitions, 0, 'the periodic evaluation finds the alert already firing');
    assert.equal(firing(s.engine.snapshot(), 'data-failures').length, 1);
    await s.dispatch(base + 35_000);
    assert.equal(webhooks(rx.tenant.get('acme')!, 'alert.firing').length, 1, 'one notification for one crossing');
    assert.equal(webhooks(rx.tenant.get('globex')!, 'alert.firing').length, 0);
    const metrics = await (await fetch(`${s.svc.url}/metrics`)).text();
    assert.match(metrics, new RegExp(`^syncwatch_alerts_streaming_evaluations_total ${streaming.confirmations}$`, 'm'));
    assert.ok(streaming.confirmations >= 1);
  });

  test('a second failed run in a row fires consecutive_failed_runs before the next tick', async () => {
    const run = (n: number, type: string, time: number) => ({ type, time, tenant: 'globex', ...where, run: `g-${n}`, ...(type === 'run.failed' ? { error: { message: 'HTTP 503 Service Unavailable', http_status: 503 } } : {}) });
    s.clock.set(base + 60_000);
    await s.post([run(1, 'run.succeeded', base + 40_000), run(2, 'run.failed', base + 50_000)]);
    await s.svc.alerting.streaming!.idle();
    assert.deepEqual(firing(s.engine.snapshot(), 'runs-failing'), []);
    s.clock.set(base + 90_000);
    await s.post([run(3, 'run.failed', base + 80_000)]);
    await s.svc.alerting.streaming!.idle();
    const [alert] = firing(s.engine.snapshot(), 'runs-failing');
    assert.ok(alert, 'the second failed run in a row fired the rule');
    assert.deepEqual([alert.labels.tenant, alert.value], ['globex', 2]);
  });

  test('a rule with `for` goes pending at the crossing and fires when the hold-down has elapsed, without a tick', async () => {
    const streaming = s.svc.alerting.streaming!;
    const at = base + 2 * MIN;
    s.clock.set(at);
    await s.post([{ type: 'run.failed', time: at - 1_000, tenant: 'initech', ...where, run: 'i-1', error: { message: 'JavaScript heap out of memory', type: 'FatalError' } }]);
    await streaming.idle();
    const pending = s.engine.snapshot().find((a) => a.labels.rule === 'out-of-memory');
    assert.equal(pending?.status, 'pending', 'pending at the crossing');
    assert.equal(pending?.activeSince, at);

    s.clock.set(at + MIN);
    streaming.followUpDue();
    await streaming.idle();
    assert.equal(s.engine.snapshot().find((a) => a.labels.rule === 'out-of-memory')?.status, 'pending', 'one minute of two: still held down');

    s.clock.set(at + 2 * MIN);
    streaming.followUpDue();
    await streaming.idle();
    const fired = s.engine.snapshot().find((a) => a.labels.rule === 'out-of-memory');
    assert.equal(fired?.status, 'firing');
    assert.equal(fired?.firedAt, at + 2 * MIN, 'fired when `for` elapsed, not at a tick');
  });

  test('on a randomised workload, streaming fires only what the periodic evaluation finds, and every count or streak crossing before the tick', async () => {
    const rules = loadAlertRules(s.svc.config.alertRulesDir);
    const streaming = s.svc.alerting.streaming!;
    let seed = 42;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)];
    let now = base + 5 * MIN;
    let runs = 0;
    let checkedFirings = 0;
    for (let step = 0; step < 30; step++) {
      now += Math.round(10_000 + random() * 110_000);
      s.clock.set(now);
      const events: Record<string, unknown>[] = [];
      for (let i = 0, n = Math.floor(random() * 6); i < n; i++) {
        const tenant = pick(tenants);
        const flow = pick(['orders.export', 'contacts.import']);
        const at = now - 5_000 + i * 10;
        const kind = random();
        const common = { tenant, integration: 'netsuite', flow, time: at };
        if (kind < 0.35) events.push({ ...common, type: 'record.synced', run: `r-${runs}`, record: { id: `S-${step}-${i}`, type: 'order' } });
        else if (kind < 0.55) events.push({ ...common, type: 'record.failed', run: `r-${runs}`, record: { id: `F-${step}-${i}`, type: 'order' }, error: { message: 'email is required', http_status: 422 } });
        else if (kind < 0.75) events.push({ ...common, type: 'record.failed', run: `r-${runs}`, record: { id: `E-${step}-${i}`, type: 'order' }, error: { message: 'HTTP 503 Service Unavailable', http_status: 503 } });
        else if (kind < 0.88) events.push({ ...common, type: 'run.failed', run: `r-${++runs}`, error: { message: 'HTTP 503 Service Unavailable', http_status: 503 } });
        else events.push({ ...common, type: 'run.succeeded', run: `r-${++runs}` });
      }
      const before = new Map(s.engine.snapshot().map((a) => [a.fingerprint, a]));
      if (events.length > 0) await s.post(events);
      await streaming.idle();

      // The periodic path's judgement at the same instant, from the store.
      const judged = await evaluateWindowRules(s.svc.driver, rules, now, { health: s.svc.config.health });
      const active = new Set(judged.filter((o) => o.active).map((o) => o.fingerprint));
      const after = s.engine.snapshot();
      for (const a of after) {
        const was = before.get(a.fingerprint);
        if (a.status === 'firing' && was?.status !== 'firing') {
          assert.ok(active.has(a.fingerprint), `step ${step}: streaming fired ${a.labels.rule} for ${a.labels.tenant}/${a.labels.flow}, which the periodic evaluation does not find`);
          checkedFirings++;
        }
      }
      const firingNow = new Set(after.filter((a) => a.status === 'firing').map((a) => a.fingerprint));
      for (const o of judged) {
        if (!o.active || o.labels.rule === 'endpoint-failure-rate') continue;
        assert.ok(firingNow.has(o.fingerprint), `step ${step}: ${o.labels.rule} holds for ${o.labels.tenant}/${o.labels.flow} (${o.value}) but streaming did not fire it before the tick`);
      }

      if (step % 4 === 3) {
        const beforeTick = new Map(s.engine.snapshot().map((a) => [a.fingerprint, a.status]));
        await s.tick(now);
        for (const a of s.engine.snapshot()) {
          if (a.labels.rule === 'endpoint-failure-rate') continue;
          assert.ok(!(a.status === 'firing' && beforeTick.get(a.fingerprint) !== 'firing'), `step ${step}: the tick fired ${a.labels.rule}, which streaming missed`);
        }
      }
    }
    assert.ok(checkedFirings >= 3, `the workload crossed thresholds (${checkedFirings} firings)`);
    assert.ok(streaming.confirmations > 0);

    // No double notification: per alert, no more firing notifications to a receiver than it had firing episodes.
    const history = await s.svc.driver.query({
      name: 'test.history',
      sql: `SELECT fingerprint, countIf(kind = 'firing') AS episodes, countIf(kind = 'notified' AND startsWith(detail, 'alert.firing') AND position(detail, 'tenant') > 0) AS told
            FROM alert_history GROUP BY fingerprint`,
      params: {},
      schema: z.object({ fingerprint: z.string(), episodes: z.coerce.number(), told: z.coerce.number() }),
    });
    assert.ok(history.some((h) => h.told > 0), 'tenants were notified');
    for (const h of history) assert.ok(h.told <= h.episodes, `${h.fingerprint}: ${h.told} firing notifications for ${h.episodes} episodes`);
  });
});
