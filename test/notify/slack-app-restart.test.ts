import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../../src/clock.js';
import { Links } from '../../src/links.js';
import { createMessage } from '../../src/notify/index.js';
import { createEmailRenderer } from '../../src/notify/render.js';
import { slackAppChannel, type SlackAppTarget } from '../../src/notify/slack-app.js';
import { storeSlackMessages } from '../../src/notify/slack-messages.js';
import { EmbeddedDriver, migrate, type Driver } from '../../src/store/index.js';
import { makeAlert, startReceiver } from './support.js';

// Which Slack message a group edits is kept in the store: a channel built anew on the
// same store (a restarted process, or the next holder of the alerting lease) edits the
// message the first one posted, instead of posting a second one.

const TOKEN = 'xoxb-1234-5678-abcdefgh';
const clock = new ManualClock(Date.UTC(2026, 10, 22, 12));
let slack: Awaited<ReturnType<typeof startReceiver>>;
let answers: string[] = [];
let dir: string;
let driver: Driver;
before(async () => {
  slack = await startReceiver(() => ({ status: 200, body: answers.shift() ?? '{"ok":true,"channel":"C9","ts":"9.000100"}' }));
  dir = mkdtempSync(path.join(tmpdir(), 'syncwatch-slack-'));
  driver = new EmbeddedDriver(path.join(dir, 'clickhouse'));
  await migrate(driver);
});
after(async () => {
  slack.close();
  await driver.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A fresh sender on the store: what a restarted process builds. `warnings` collects failed writes. */
function sender(store: Driver, warnings: Error[] = []) {
  return slackAppChannel.create({
    config: { smtp: {} as never, webhookAllow: ['127.0.0.1'], pagerduty: {} as never },
    links: new Links('https://status.vendor.example', null, clock),
    datadog: null,
    renderer: createEmailRenderer(),
    timeoutMs: 5_000,
    slackMessages: storeSlackMessages(store, () => clock.now(), (err) => warnings.push(err)),
  }).send;
}
const target = (): SlackAppTarget => ({ channel: 'slack-app', token: TOKEN, slack_channel: 'alerts', api_url: `${slack.url}/api` });
const message = (type: 'alert.firing' | 'alert.updated' | 'alert.resolved', groupKey: string) =>
  createMessage({ type, groupKey, audience: 'tenant', tenant: 'acme', alerts: [makeAlert({ status: type === 'alert.resolved' ? 'resolved' : 'firing' })], createdAt: clock.now() });
const ctx = () => ({ attempt: 1, timeoutMs: 5_000, now: clock.now() });

describe('Slack app channel across restarts', () => {
  test('a restarted sender edits the message posted before the restart, and a resolved group posts anew after one', async () => {
    slack.requests.length = 0;
    const g = 'tenant:{tenant="acme"}';
    answers = ['{"ok":true,"channel":"C0ALERTS","ts":"1796000000.000200"}'];
    assert.equal((await sender(driver)(target(), message('alert.firing', g), ctx())).ok, true);
    clock.advance(60_000);
    assert.equal((await sender(driver)(target(), message('alert.updated', g), ctx())).ok, true);
    clock.advance(60_000);
    assert.equal((await sender(driver)(target(), message('alert.resolved', g), ctx())).ok, true);
    clock.advance(60_000);
    answers = ['{"ok":true,"channel":"C0ALERTS","ts":"1796000300.000400"}'];
    assert.equal((await sender(driver)(target(), message('alert.firing', g), ctx())).ok, true);
    assert.equal((await sender(driver)(target(), message('alert.updated', g), ctx())).ok, true);
    assert.deepEqual(slack.requests.map((r) => r.path), ['/api/chat.postMessage', '/api/chat.update', '/api/chat.update', '/api/chat.postMessage', '/api/chat.update']);
    assert.deepEqual(slack.requests.map((r) => r.json.ts), [undefined, '1796000000.000200', '1796000000.000200', undefined, '1796000300.000400']);
    assert.equal(slack.requests[1].json.channel, 'C0ALERTS');
  });

  test('another group, or the same group at another target, is not edited: each posts its own message', async () => {
    slack.requests.length = 0;
    answers = ['{"ok":true,"channel":"C1","ts":"1.1"}', '{"ok":true,"channel":"C2","ts":"2.2"}'];
    await sender(driver)(target(), message('alert.firing', 'tenant:{tenant="one"}'), ctx());
    await sender(driver)({ ...target(), slack_channel: 'other' }, message('alert.firing', 'tenant:{tenant="one"}'), ctx());
    await sender(driver)(target(), message('alert.firing', 'tenant:{tenant="two"}'), ctx());
    assert.deepEqual(slack.requests.map((r) => r.path), ['/api/chat.postMessage', '/api/chat.postMessage', '/api/chat.postMessage']);
  });

  test('a store that cannot be written: the delivery still counts as sent (no second post), the failure is reported, and this process still edits', async () => {
    slack.requests.length = 0;
    const broken: Driver = Object.create(driver, { insert: { value: async () => Promise.reject(new Error('store down')) } });
    const warnings: Error[] = [];
    const send = sender(broken, warnings);
    answers = ['{"ok":true,"channel":"C3","ts":"3.3"}'];
    assert.equal((await send(target(), message('alert.firing', 'tenant:{tenant="down"}'), ctx())).ok, true);
    assert.equal((await send(target(), message('alert.updated', 'tenant:{tenant="down"}'), ctx())).ok, true);
    assert.deepEqual(slack.requests.map((r) => r.path), ['/api/chat.postMessage', '/api/chat.update']);
    assert.deepEqual(warnings.map((w) => w.message), ['store down']);
  });
});
