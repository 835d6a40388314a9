import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { ManualClock } from '../../src/clock.js';
import { createMessage, type Target } from '../../src/notify/index.js';
import { ADMIN, makeAlert, runOutboxUntilIdle, SECRET, startNotifyService, startReceiver, type NotifyService } from './support.js';

// A receiver that comes back from an outage must never get a stale "firing" after the
// "resolved" of the same alert: the firing still waiting for a retry is superseded.

const SECOND = 1000;
const HOUR = 3_600_000;
const clock = new ManualClock();
let svc: NotifyService & { db: Awaited<ReturnType<typeof import('../support/remote-db.js').createTestDatabase>> };
let receiver: Awaited<ReturnType<typeof startReceiver>>;

before(async () => {
  svc = await startNotifyService({ SYNCWATCH_WEBHOOK_ALLOW: '127.0.0.1' }, { clock, notify: { dispatchEveryMs: 0, timeoutMs: 2_000, policy: { random: () => 1 } } });
  receiver = await startReceiver(() => ({ status: 503 }));
});
after(async () => {
  await svc?.stop();
  await receiver?.close();
});

const runUntilIdle = (until = clock.now() + 48 * HOUR) => runOutboxUntilIdle(svc.notifier.outbox, clock, until);

const transition = (type: 'alert.firing' | 'alert.resolved', fingerprint: string) =>
  createMessage({
    type,
    alerts: [makeAlert({ fingerprint, status: type === 'alert.firing' ? 'firing' : 'resolved', ...(type === 'alert.resolved' ? { resolvedAt: clock.now() } : {}) })],
    audience: 'tenant', tenant: 'acme', groupKey: `g-${fingerprint}`, createdAt: clock.now(),
  });

describe('deliveries in order', () => {
  test('a firing still waiting on a receiver that is down is superseded by the resolved of the same alert; other alerts are not', async () => {
    const target: Target = { channel: 'webhook', url: `${receiver.url}/hook`, secret: SECRET };
    const [firingId] = await svc.notifier.outbox.enqueue(transition('alert.firing', 'fp-order'), [target]);
    const [otherId] = await svc.notifier.outbox.enqueue(transition('alert.firing', 'fp-other'), [target]);
    await svc.notifier.outbox.dispatchDue(clock.now()); // both fail: the receiver is down
    assert.equal(receiver.requests.length, 2);

    clock.set(clock.now() + 10 * SECOND);
    const [resolvedId] = await svc.notifier.outbox.enqueue(transition('alert.resolved', 'fp-order'), [target]);
    receiver.setReply(() => ({ status: 200 })); // the receiver recovers
    await runUntilIdle();

    const delivered = receiver.requests.slice(2).map((r) => `${r.json.type}:${r.json.alert?.fingerprint ?? r.json.alerts?.[0]?.fingerprint}`);
    assert.deepEqual(delivered.sort(), ['alert.firing:fp-other', 'alert.resolved:fp-order'], 'the stale firing is never delivered');

    const log = await request(svc.server).get('/v1/notifications').query({ tenant: 'acme', status: 'superseded' }).set('Authorization', `Bearer ${ADMIN}`);
    assert.equal(log.status, 200);
    assert.deepEqual(log.body.deliveries.map((d: { id: string }) => d.id), [firingId]);
    assert.match(log.body.deliveries[0].last_error, new RegExp(`superseded by alert\\.resolved \\(delivery ${resolvedId}\\)`));
    const all = await request(svc.server).get('/v1/notifications').query({ tenant: 'acme' }).set('Authorization', `Bearer ${ADMIN}`);
    const status = Object.fromEntries(all.body.deliveries.map((d: { id: string; status: string }) => [d.id, d.status]));
    assert.equal(status[otherId], 'delivered');
    assert.equal(status[resolvedId], 'delivered');
  });
});
