import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { ManualClock } from '../../src/clock.js';
import { ADMIN } from '../notify/support.js';
import { MIN, SECRET, startReceivers, startScenario, waitFor, webhooks, type Receivers, type Scenario } from './scenarios-support.js';
import { TEST_EPOCH } from '../support/clock.js';

// Delivery under stress: a condition that flaps, and a receiver that is down for hours.

const base = TEST_EPOCH;
const HOUR = 60 * MIN;

const pushes = (kind: 'failed' | 'synced', at: number, tenant = 'acme') =>
  Array.from({ length: 2 }, (_, i) => ({
    type: `record.${kind}`,
    time: at + i * 1000,
    tenant,
    integration: 'netsuite',
    flow: 'invoices.export',
    run: `run-${at}`,
    record: { id: `INV-${at % 1_000_000}-${i}`, type: 'invoice' },
    ...(kind === 'failed' ? { error: { message: 'NetSuite answered 503', http_status: 503 } } : {}),
  }));

// Two rules over the same failures, told to the tenant at once (no group_wait to damp
// them): one with a resolve hold-down, one without, for contrast.
const FLAPPING_RULES = `
rules:
  - name: netsuite-errors
    kind: threshold
    severity: critical
    match: { category: endpoint }
    metric: failure_count
    threshold: 1
    window: 1m
    resolve_after: 10m
    audience: [tenant]
    code: unavailable
  - name: netsuite-errors-no-hold-down
    kind: threshold
    severity: critical
    match: { category: endpoint }
    metric: failure_count
    threshold: 1
    window: 1m
    resolve_after: 0
    audience: [tenant]
    code: unavailable
`;

describe('flapping failures', () => {
  let rx: Receivers;
  let s: Scenario;

  before(async () => {
    rx = await startReceivers(['acme']);
    s = await startScenario(rx, new ManualClock(base), { rules: FLAPPING_RULES });
    await s.subscribe('acme', { webhooks: [{ url: `${rx.tenant.get('acme')!.url}/hook`, secret: SECRET }], categories: ['endpoint'] });
  });
  after(async () => {
    await s.stop();
    await rx.close();
  });

  test('a condition flapping every minute for 20 minutes notifies no more than the hold-down allows', async () => {
    for (let k = 0; k < 20; k++) {
      await s.post(pushes(k % 2 === 0 ? 'failed' : 'synced', base + k * MIN + 5_000));
      await s.tick(base + k * MIN + 30_000);
    }
    const rule = (name: string, type: string) => webhooks(rx.tenant.get('acme')!, type).filter((r) => r.json.alerts[0].rule === name).length;
    assert.equal(rule('netsuite-errors', 'alert.firing'), 1, 'held down: one firing message for the whole episode');
    assert.equal(rule('netsuite-errors', 'alert.resolved'), 0, 'never clear for 10 minutes: not resolved');
    assert.equal(rule('netsuite-errors-no-hold-down', 'alert.firing'), 10, 'the same flapping without a hold-down: a message every other minute');

    for (let t = base + 21 * MIN; t <= base + 32 * MIN; t += MIN) await s.tick(t);
    assert.equal(rule('netsuite-errors', 'alert.firing'), 1);
    assert.equal(rule('netsuite-errors', 'alert.resolved'), 1, 'resolved once, after 10 quiet minutes');
  });
});

describe('a receiver down for a long stretch', () => {
  let rx: Receivers;
  let s: Scenario;
  let down = true;
  const answered: { id: string; status: number; at: number }[] = [];

  before(async () => {
    rx = await startReceivers(['acme']);
    s = await startScenario(rx, new ManualClock(base), { policy: { maxAttempts: 12 } });
    rx.tenant.get('acme')!.setReply((req) => {
      const status = down ? 503 : 200;
      answered.push({ id: String(req.headers['webhook-id']), status, at: s.clock.now() });
      return { status, ...(down ? { body: '{"error":"maintenance"}' } : {}) };
    });
    await s.subscribe('acme', { emails: ['it@acme.example'], webhooks: [{ url: `${rx.tenant.get('acme')!.url}/hook`, secret: SECRET }] });
  });
  after(async () => {
    await s.stop();
    await rx.close();
  });

  test('bounded attempts while down, one successful delivery per message after recovery, nothing duplicated to the receivers that answered 2xx', async () => {
    await s.post(
      ['INV-1', 'INV-2'].map((id, i) => ({
        type: 'record.failed',
        time: base - MIN + i,
        tenant: 'acme',
        integration: 'netsuite',
        flow: 'invoices.export',
        run: 'run-1',
        record: { id, type: 'invoice' },
        error: { message: 'customer reference is missing', http_status: 422 },
      })),
    );
    await s.tick(base);
    // 2 hours down, then 4 hours up; the worker evaluates every 15 minutes and dispatches every minute.
    for (let t = base + MIN; t <= base + 6 * HOUR; t += MIN) {
      if (t >= base + 120 * MIN) down = false;
      if ((t - base) % (15 * MIN) === 0) await s.tick(t);
      else await s.dispatch(t);
    }

    const byId = new Map<string, { status: number; at: number }[]>();
    for (const a of answered) byId.set(a.id, [...(byId.get(a.id) ?? []), a]);
    const types = webhooks(rx.tenant.get('acme')!).map((r) => r.json.type);
    assert.deepEqual([...new Set(types)].sort(), ['alert.firing', 'alert.resolved'], 'the alert fired and resolved while the receiver was down');
    assert.equal(byId.size, 2, 'two messages, each with one webhook-id kept across its retries');
    // The firing was still waiting for a retry when the resolved was queued: it is
    // superseded, never delivered after the resolved (it used to arrive ~3 minutes later).
    const firing = webhooks(rx.tenant.get('acme')!).find((r) => r.json.type === 'alert.firing')!.headers['webhook-id'];
    const firingTries = byId.get(String(firing))!;
    assert.equal(firingTries.filter((t) => t.status === 200).length, 0, 'the stale firing is not delivered');
    const log = await request(s.svc.server).get('/v1/notifications').query({ tenant: 'acme', status: 'superseded' }).set('Authorization', `Bearer ${ADMIN}`);
    assert.equal(log.body.deliveries.filter((d: { channel: string }) => d.channel === 'webhook').length, 1, 'the delivery log says it was superseded');
    byId.delete(String(firing));
    for (const [id, tries] of byId) {
      const ok = tries.filter((t) => t.status === 200);
      assert.equal(ok.length, 1, `${id}: exactly one successful delivery`);
      assert.equal(tries.at(-1)!.status, 200, `${id}: nothing after the 2xx`);
      assert.ok(ok[0].at >= base + 120 * MIN, `${id}: delivered after the recovery`);
      assert.ok(tries.length <= 12, `${id}: bounded attempts (${tries.length})`);
      assert.ok(tries.length < (ok[0].at - base) / MIN / 10, `${id}: backed off, not tried every minute`);
    }
    await waitFor(() => rx.smtp.mails.length >= 2, 10_000, 'the mails');
    const mails = rx.smtp.mails.filter((m) => m.envelopeTo.includes('it@acme.example'));
    assert.equal(mails.length, 2, 'the email receiver answered 250 at once: one firing and one resolved mail, no duplicates');
    assert.match(mails[1].subject ?? '', /^\[syncwatch\] Resolved/);
  });
});
