import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { ManualClock } from '../../src/clock.js';
import { createMessage, Dispatcher, type DispatchedOutbox, type Target } from '../../src/notify/index.js';
import { TEST_EPOCH } from '../support/clock.js';
import { makeAlert, SECRET, startNotifyService, startReceiver, waitFor, type NotifyService } from './support.js';

// The outbox has one dispatcher: it sends only while its process leads, coalesces wakes
// that arrive during a pass into one more pass, and (when it runs on its own) sends what
// is queued without being told. Real outbox, real store, a real receiver on loopback.

const clock = new ManualClock(TEST_EPOCH);
const log = pino({ level: 'silent' });
let svc: NotifyService & { db: Awaited<ReturnType<typeof startNotifyService>>['db'] };
let rx: Awaited<ReturnType<typeof startReceiver>>;
let target: Target;

before(async () => {
  svc = await startNotifyService({ SYNCWATCH_WEBHOOK_ALLOW: '127.0.0.1' }, { clock, notify: { dispatchEveryMs: 0, reportMetrics: false }, alerts: { schedule: false, lease: { settleMs: 0 } } });
  rx = await startReceiver();
  target = { channel: 'webhook', url: `${rx.url}/hook`, secret: SECRET };
});
after(async () => {
  await svc?.stop();
  await rx?.close();
});

let n = 0;
const message = (tenant: string) => {
  n++;
  return createMessage({ type: 'alert.firing', alerts: [makeAlert({ fingerprint: `dispatch-${n}` }, { tenant })], audience: 'tenant', tenant, groupKey: `d-${n}`, createdAt: clock.now() });
};
const sentTo = (tenant: string) => rx.requests.filter((r) => r.json?.tenant === tenant).length;

describe('the outbox dispatcher', () => {
  test('sends only while its process leads', async () => {
    const lead = { isLeader: false };
    const d = new Dispatcher(svc.notifier.outbox, clock, log, { everyMs: 0 });
    d.start(lead);
    await svc.notifier.outbox.enqueue(message('follower-co'), [target]);
    await d.wake();
    assert.equal(sentTo('follower-co'), 0, 'a process without the lease sends nothing');
    lead.isLeader = true;
    await d.wake();
    assert.equal(sentTo('follower-co'), 1, 'once it leads, the queued message goes out');
    await d.stop();
  });

  test('wakes during a pass join one more pass; each message is sent once and each waker resolves after its message went out', async () => {
    const real = svc.notifier.outbox;
    let passes = 0;
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const counting: DispatchedOutbox = {
      onEnqueue: null,
      pendingCount: () => real.pendingCount(),
      nextDueAt: () => real.nextDueAt(),
      dispatchDue: async (now) => {
        passes++;
        if (passes === 1) await held;
        return real.dispatchDue(now);
      },
    };
    const d = new Dispatcher(counting, clock, log, { everyMs: 0 });
    d.start();
    const first = d.wake();
    const wakes: Promise<void>[] = [];
    for (const tenant of ['coalesce-a', 'coalesce-b', 'coalesce-c']) {
      await real.enqueue(message(tenant), [target]);
      wakes.push(d.wake());
    }
    release();
    await first;
    await Promise.all(wakes);
    assert.equal(passes, 2, 'three wakes during a pass make one more pass, not three');
    assert.deepEqual(['coalesce-a', 'coalesce-b', 'coalesce-c'].map(sentTo), [1, 1, 1]);
    await d.stop();
  });

  test('running on its own, it sends what is queued without being woken', async () => {
    const d = new Dispatcher(svc.notifier.outbox, clock, log, { everyMs: 60_000 });
    const saved = svc.notifier.outbox.onEnqueue;
    d.start();
    try {
      await svc.notifier.outbox.enqueue(message('auto-co'), [target]);
      await waitFor(() => sentTo('auto-co') === 1, 10_000, 'the queued message');
    } finally {
      await d.stop();
      svc.notifier.outbox.onEnqueue = saved;
    }
  });

  test('nothing in src/ but the dispatcher calls outbox.dispatchDue', () => {
    const root = path.resolve(import.meta.dirname, '../../src');
    const callers = (readdirSync(root, { recursive: true }) as string[])
      .filter((f) => f.endsWith('.ts'))
      .filter((f) => /\.dispatchDue\(/.test(readFileSync(path.join(root, f), 'utf8')))
      .map((f) => f.split(path.sep).join('/'));
    assert.deepEqual(callers, ['notify/dispatcher.ts']);
  });
});
