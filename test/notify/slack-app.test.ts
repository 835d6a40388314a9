import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../../src/clock.js';
import { Links } from '../../src/links.js';
import { createMessage, targetSchema } from '../../src/notify/index.js';
import { slackAppChannel, type SlackAppTarget } from '../../src/notify/slack-app.js';
import { createEmailRenderer } from '../../src/notify/render.js';
import { makeAlert, startReceiver } from './support.js';

// The Slack Web API channel against a loopback server answering as Slack documents
// (HTTP 200 with `ok`; errors by code): what it does with each answer.

const TOKEN = 'xoxb-1234-5678-abcdefgh';
let slack: Awaited<ReturnType<typeof startReceiver>>;
let answers: string[] = [];
before(async () => {
  slack = await startReceiver(() => ({ status: 200, body: answers.shift() ?? '{"ok":true,"channel":"C1","ts":"1.000100"}' }));
});
after(() => slack.close());

const clock = new ManualClock(Date.UTC(2026, 10, 22, 12));
const send = slackAppChannel.create({
  config: { smtp: {} as never, webhookAllow: ['127.0.0.1'], pagerduty: {} as never },
  links: new Links('https://status.vendor.example', null, clock),
  datadog: null,
  renderer: createEmailRenderer(),
  timeoutMs: 5_000,
}).send;
const target = (): SlackAppTarget => ({ channel: 'slack-app', token: TOKEN, slack_channel: 'alerts', api_url: `${slack.url}/api` });
const message = (type: 'alert.firing' | 'alert.updated' | 'alert.resolved', groupKey = 'tenant:{tenant="acme"}') =>
  createMessage({ type, groupKey, audience: 'tenant', tenant: 'acme', alerts: [makeAlert({ status: type === 'alert.resolved' ? 'resolved' : 'firing' })], createdAt: clock.now() });
const ctx = { attempt: 1, timeoutMs: 5_000, now: clock.now() };

describe('Slack app channel (chat.postMessage, then chat.update)', () => {
  test('the target: a bot token and a channel; the API view hides the token', () => {
    assert.equal(targetSchema.safeParse({ channel: 'slack-app', token: 'not-a-token', slack_channel: 'C1' }).success, false);
    const t = targetSchema.parse({ channel: 'slack-app', token: TOKEN, slack_channel: 'C1' });
    assert.deepEqual(slackAppChannel.publicView(t as SlackAppTarget), { channel: 'slack-app', slack_channel: 'C1', token: 'xoxb-…efgh' });
  });

  test("posts a group's first message, edits it with the channel id and ts Slack answered, and posts anew once it was resolved", async () => {
    slack.requests.length = 0;
    answers = ['{"ok":true,"channel":"C0ALERTS","ts":"1796000000.000200","message":{}}'];
    for (const type of ['alert.firing', 'alert.updated', 'alert.resolved', 'alert.firing'] as const) assert.equal((await send(target(), message(type), ctx)).ok, true);
    assert.deepEqual(slack.requests.map((r) => r.path), ['/api/chat.postMessage', '/api/chat.update', '/api/chat.update', '/api/chat.postMessage']);
    assert.deepEqual([slack.requests[1].json.channel, slack.requests[1].json.ts], ['C0ALERTS', '1796000000.000200']);
    assert.equal(slack.requests[0].json.channel, 'alerts');
    assert.equal(slack.requests[0].headers.authorization, `Bearer ${TOKEN}`);
  });

  test('a message deleted meanwhile: the edit fails with message_not_found, and a new message is posted', async () => {
    slack.requests.length = 0;
    const g = 'tenant:{tenant="deleted"}';
    answers = ['{"ok":true,"channel":"C2","ts":"2.000100"}', '{"ok":false,"error":"message_not_found"}', '{"ok":true,"channel":"C2","ts":"3.000100"}'];
    await send(target(), message('alert.firing', g), ctx);
    assert.equal((await send(target(), message('alert.updated', g), ctx)).ok, true);
    assert.deepEqual(slack.requests.map((r) => r.path), ['/api/chat.postMessage', '/api/chat.update', '/api/chat.postMessage']);
  });

  test("Slack's errors: rate limiting is retried, a bad token is not; neither error names the token", async () => {
    answers = ['{"ok":false,"error":"ratelimited"}'];
    const limited = await send(target(), message('alert.firing', 'g-limited'), ctx);
    assert.deepEqual([limited.ok, limited.retryable, limited.error], [false, true, 'Slack chat.postMessage: ratelimited']);
    answers = ['{"ok":false,"error":"invalid_auth"}'];
    const denied = await send(target(), message('alert.firing', 'g-denied'), ctx);
    assert.deepEqual([denied.ok, denied.retryable, denied.error], [false, false, 'Slack chat.postMessage: invalid_auth']);
    answers = ['<html>proxy error</html>'];
    const garbled = await send(target(), message('alert.firing', 'g-garbled'), ctx);
    assert.deepEqual([garbled.ok, garbled.retryable], [false, true]);
    for (const r of [limited, denied, garbled]) assert.ok(!String(r.error).includes(TOKEN));
  });
});
