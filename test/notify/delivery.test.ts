import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { ManualClock } from '../../src/clock.js';
import { createMessage, type NotificationMessage, type Target } from '../../src/notify/index.js';
import { ADMIN, makeAlert, runOutboxUntilIdle, SECRET, startNotifyService, startReceiver, type NotifyService } from './support.js';

const SECOND = 1000;
const HOUR = 3_600_000;
const clock = new ManualClock();
// Jitter pinned to its maximum, so each wait is exactly min(cap, 30 s · 2^(n−1)).
const notify = { dispatchEveryMs: 0, timeoutMs: 2_000, policy: { random: () => 1 } };
let svc: NotifyService & { db: Awaited<ReturnType<typeof import('../support/remote-db.js').createTestDatabase>> };
const receivers: Awaited<ReturnType<typeof startReceiver>>[] = [];

before(async () => {
  svc = await startNotifyService({ SYNCWATCH_WEBHOOK_ALLOW: '127.0.0.1' }, { clock, notify });
});
after(async () => {
  await svc?.stop();
  for (const r of receivers) await r.close();
});

async function receiver(reply: Parameters<typeof startReceiver>[0]) {
  const r = await startReceiver(reply);
  receivers.push(r);
  return r;
}

let n = 0;
function alertMessage(tenant = 'acme'): NotificationMessage {
  n++;
  return createMessage({ type: 'alert.firing', alerts: [makeAlert({ fingerprint: `fp-${n}` }, { tenant })], audience: 'tenant', tenant, groupKey: `g-${n}`, createdAt: clock.now() });
}

/** Moves the clock to each next due time and dispatches, until nothing is pending or `until` is reached. */
const runUntilIdle = (until = clock.now() + 48 * HOUR) => runOutboxUntilIdle(svc.notifier.outbox, clock, until);

const timestamps = (r: { requests: { headers: Record<string, unknown> }[] }) => r.requests.map((q) => Number(q.headers['webhook-timestamp']));
const gaps = (ts: number[]) => ts.slice(1).map((t, i) => t - ts[i]);
const list = (query: Record<string, string | number>) => request(svc.server).get('/v1/notifications').query(query).set('Authorization', `Bearer ${ADMIN}`);

describe('delivery with retries (controllable clock)', () => {
  test('a receiver down for a long stretch gets a bounded number of attempts at growing intervals, then the delivery is dead and visible', async () => {
    const down = await receiver(() => ({ status: 503, body: 'maintenance' }));
    const target: Target = { channel: 'webhook', url: `${down.url}/down`, secret: SECRET };
    const message = alertMessage('initech');
    const [id] = await svc.notifier.outbox.enqueue(message, [target]);
    await runUntilIdle();

    assert.equal(down.requests.length, 8, 'maxAttempts (8) attempts, no more');
    assert.deepEqual(gaps(timestamps(down)), [30, 60, 120, 240, 480, 960, 1920], 'exponential backoff from 30 s');
    assert.deepEqual(new Set(down.requests.map((r) => r.headers['webhook-id'])), new Set([message.id]), 'the same webhook-id on every retry');
    assert.equal(svc.notifier.outbox.pendingCount(), 0);

    const res = await list({ status: 'dead', tenant: 'initech' });
    assert.equal(res.status, 200);
    assert.equal(res.body.deliveries.length, 1);
    const d = res.body.deliveries[0];
    assert.equal(d.id, id);
    assert.equal(d.status, 'dead');
    assert.equal(d.attempt_count, 8);
    assert.equal(d.last_status, 503);
    // The receiver's answer body is not kept (it may echo tokens): the status code is the record.
    assert.equal(d.last_error, 'gave up after 8 attempts: receiver answered 503');
    assert.deepEqual(d.target, { channel: 'webhook', url: `${down.url}/down` });
    assert.deepEqual(d.attempts.map((a: { attempt: number }) => a.attempt), [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.ok(d.attempts.every((a: { status: number; ok: boolean }) => a.status === 503 && a.ok === false), 'every attempt logged with its 503');
    assert.equal(d.message.id, message.id);
    assert.ok(!res.text.includes(SECRET) && !res.text.includes('whsec_'), 'no secret in the API response');
  });

  test("Retry-After is honoured, and a receiver that recovers gets exactly one successful delivery and nothing after", async () => {
    let calls = 0;
    const flaky = await receiver(() => (++calls <= 3 ? { status: 503, headers: { 'retry-after': '600' } } : { status: 204 }));
    const message = alertMessage();
    await svc.notifier.outbox.enqueue(message, [{ channel: 'webhook', url: `${flaky.url}/flaky`, secret: SECRET }]);
    await runUntilIdle();
    assert.equal(flaky.requests.length, 4);
    assert.deepEqual(gaps(timestamps(flaky)), [600, 600, 600], 'waits as long as Retry-After asks (longer than the 30/60/120 s backoff)');

    clock.advance(7 * 24 * HOUR);
    await svc.notifier.outbox.dispatchDue(clock.now());
    await svc.notifier.outbox.enqueue(message, [{ channel: 'webhook', url: `${flaky.url}/flaky`, secret: SECRET }]);
    await runUntilIdle();
    assert.equal(flaky.requests.length, 4, 'a delivered message is never sent again, even when enqueued again');
  });

  test('a 400 is not retried', async () => {
    const rejecting = await receiver(() => ({ status: 400, body: '{"error":"bad payload"}' }));
    const message = alertMessage();
    const [id] = await svc.notifier.outbox.enqueue(message, [{ channel: 'webhook', url: `${rejecting.url}/x`, secret: SECRET }]);
    await runUntilIdle();
    assert.equal(rejecting.requests.length, 1);
    const res = await list({ status: 'dead', limit: 100 });
    const d = res.body.deliveries.find((x: { id: string }) => x.id === id);
    assert.equal(d.attempt_count, 1);
    assert.equal(d.attempts[0].status, 400);
    assert.equal(d.attempts[0].retryable, false);
  });

  test('one message to several targets is one delivery per target, each de-duplicated', async () => {
    const a = await receiver(() => ({ status: 200 }));
    const b = await receiver(() => ({ status: 200 }));
    const message = alertMessage('globex');
    const targets: Target[] = [
      { channel: 'webhook', url: `${a.url}/a`, secret: SECRET },
      { channel: 'webhook', url: `${b.url}/b`, secret: SECRET },
      { channel: 'webhook', url: `${a.url}/a`, secret: SECRET },
    ];
    const ids = await svc.notifier.outbox.enqueue(message, targets);
    assert.equal(ids.length, 2);
    assert.deepEqual(await svc.notifier.outbox.enqueue(message, targets), ids, 'the same ids again, nothing new queued');
    await runUntilIdle();
    assert.equal(a.requests.length, 1);
    assert.equal(b.requests.length, 1);
    const res = await list({ tenant: 'globex', status: 'delivered' });
    assert.deepEqual(res.body.deliveries.map((d: { id: string }) => d.id).sort(), [...ids].sort());
  });
});

describe('restart', () => {
  test('pending deliveries resume after a restart, with the same webhook-id', async () => {
    let up = false;
    const r = await receiver(() => (up ? { status: 200 } : { status: 502 }));
    const message = alertMessage('umbrella');
    await svc.notifier.outbox.enqueue(message, [{ channel: 'webhook', url: `${r.url}/r`, secret: SECRET }]);
    await svc.notifier.outbox.dispatchDue(clock.now());
    assert.equal(r.requests.length, 1);
    const due = svc.notifier.outbox.nextDueAt()!;
    assert.equal(due, clock.now() + 30 * SECOND);

    await svc.stop(true);
    svc = await startNotifyService({ SYNCWATCH_WEBHOOK_ALLOW: '127.0.0.1' }, { clock, notify }, svc.dataDir, svc.db);
    assert.equal(svc.notifier.outbox.pendingCount(), 1, 'the pending delivery was read back from the store');
    assert.equal(svc.notifier.outbox.nextDueAt(), due, 'with its next attempt time');

    up = true;
    await svc.notifier.outbox.dispatchDue(clock.now());
    assert.equal(r.requests.length, 1, 'not before it is due');
    await runUntilIdle();
    assert.equal(r.requests.length, 2);
    assert.equal(r.requests[1].headers['webhook-id'], message.id);
    const res = await list({ tenant: 'umbrella' });
    assert.equal(res.body.deliveries[0].status, 'delivered');
    assert.deepEqual(res.body.deliveries[0].attempts.map((a: { status: number }) => a.status), [502, 200]);

    // Delivered before the restart stays delivered after another one.
    await svc.stop(true);
    svc = await startNotifyService({ SYNCWATCH_WEBHOOK_ALLOW: '127.0.0.1' }, { clock, notify }, svc.dataDir, svc.db);
    assert.equal(svc.notifier.outbox.pendingCount(), 0);
    await runUntilIdle();
    assert.equal(r.requests.length, 2);
  });
});
