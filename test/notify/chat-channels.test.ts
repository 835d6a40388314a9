import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { z } from 'zod';
import { ManualClock } from '../../src/clock.js';
import { createMessage, type Target } from '../../src/notify/index.js';
import { ADMIN, makeAlert, startNotifyService, startReceiver, type NotifyService } from './support.js';

// Slack, Microsoft Teams and PagerDuty, each one module in the channel registry, against
// loopback receivers that check the payload shape each service documents.

// Slack Block Kit (api.slack.com/reference/block-kit): ≤ 50 blocks; header plain_text ≤ 150;
// section mrkdwn ≤ 3000, ≤ 10 fields of ≤ 2000; buttons plain_text ≤ 75 with a URL.
const plain = (max: number) => z.strictObject({ type: z.literal('plain_text'), text: z.string().min(1).max(max), emoji: z.boolean().optional() });
const mrkdwn = (max: number) => z.strictObject({ type: z.literal('mrkdwn'), text: z.string().min(1).max(max) });
const slackBlock = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('header'), text: plain(150) }),
  z.strictObject({ type: z.literal('section'), text: mrkdwn(3000).optional(), fields: z.array(mrkdwn(2000)).max(10).optional() }),
  z.strictObject({ type: z.literal('context'), elements: z.array(mrkdwn(3000)).min(1).max(10) }),
  z.strictObject({ type: z.literal('actions'), elements: z.array(z.strictObject({ type: z.literal('button'), text: plain(75), url: z.url().max(3000) })).min(1).max(25) }),
]);
const slackMessage = z.strictObject({ text: z.string().min(1), blocks: z.array(slackBlock).min(1).max(50) });

// Teams workflow webhook: a message with one Adaptive Card attachment.
const teamsMessage = z.strictObject({
  type: z.literal('message'),
  attachments: z
    .array(
      z.strictObject({
        contentType: z.literal('application/vnd.microsoft.card.adaptive'),
        contentUrl: z.null(),
        content: z.object({
          $schema: z.literal('http://adaptivecards.io/schemas/adaptive-card.json'),
          type: z.literal('AdaptiveCard'),
          version: z.string().regex(/^1\.[0-5]$/),
          body: z.array(z.object({ type: z.enum(['TextBlock', 'FactSet']) })).min(1),
          actions: z.array(z.strictObject({ type: z.literal('Action.OpenUrl'), title: z.string(), url: z.url() })),
        }),
      }),
    )
    .length(1),
});

// PagerDuty Events API v2 (developer.pagerduty.com): trigger needs payload.summary (≤ 1024),
// source, severity; resolve needs only the routing and dedup keys.
const pdTrigger = z.object({
  routing_key: z.string().length(32),
  event_action: z.literal('trigger'),
  dedup_key: z.string().min(1).max(255),
  payload: z.object({ summary: z.string().min(1).max(1024), source: z.string().min(1), severity: z.enum(['critical', 'error', 'warning', 'info']), timestamp: z.iso.datetime().optional() }),
  links: z.array(z.object({ href: z.url(), text: z.string() })).optional(),
});
const pdResolve = z.strictObject({ routing_key: z.string().length(32), event_action: z.literal('resolve'), dedup_key: z.string().min(1).max(255) });
const pdEvent = z.union([pdTrigger, pdResolve]);

const clock = new ManualClock();
let svc: NotifyService & { db: Awaited<ReturnType<typeof import('../support/remote-db.js').createTestDatabase>> };
let slack: Awaited<ReturnType<typeof startReceiver>>;
let teams: Awaited<ReturnType<typeof startReceiver>>;
let pagerduty: Awaited<ReturnType<typeof startReceiver>>;
const ROUTING_KEY = 'R0UT1NGKEY0123456789abcdefABCDEF';

before(async () => {
  slack = await startReceiver((req) => (slackMessage.safeParse(req.json).success ? { status: 200, body: 'ok' } : { status: 400, body: 'invalid_blocks' }));
  teams = await startReceiver((req) => (teamsMessage.safeParse(req.json).success ? { status: 202 } : { status: 400 }));
  pagerduty = await startReceiver((req) =>
    pdEvent.safeParse(req.json).success ? { status: 202, body: JSON.stringify({ status: 'success', message: 'Event processed', dedup_key: req.json.dedup_key }) } : { status: 400, body: '{"status":"invalid event"}' },
  );
  svc = await startNotifyService(
    { SYNCWATCH_WEBHOOK_ALLOW: '127.0.0.1', SYNCWATCH_PAGERDUTY_URL: `${pagerduty.url}/v2/enqueue`, SYNCWATCH_PUBLIC_URL: 'https://status.vendor.example' },
    { clock, notify: { dispatchEveryMs: 0, timeoutMs: 2_000 } },
  );
});
after(async () => {
  await svc?.stop();
  for (const r of [slack, teams, pagerduty]) await r?.close();
});

const targets = (): Target[] => [
  { channel: 'slack', url: `${slack.url}/services/T000/B000/XXXXSECRET` },
  { channel: 'teams', url: `${teams.url}/workflows/abc/triggers/manual/paths/invoke?api-version=1&sig=SECRETSIG` },
  { channel: 'pagerduty', routing_key: ROUTING_KEY },
];

describe('Slack, Teams and PagerDuty channels', () => {
  test('a firing and its resolve reach each service in the shape it documents, naming the cause and what to do', async () => {
    const alert = makeAlert({ fingerprint: 'fp-chat' });
    await svc.notifier.outbox.enqueue(createMessage({ type: 'alert.firing', alerts: [alert], audience: 'operator', tenant: null, groupKey: 'g-chat', createdAt: clock.now() }), targets());
    const fired = await svc.notifier.outbox.dispatchDue(clock.now());
    assert.equal(fired.delivered, 3, JSON.stringify(fired));

    const s = slackMessage.parse(slack.requests[0].json);
    const slackText = JSON.stringify(s);
    assert.match(s.blocks[0].type === 'header' ? s.blocks[0].text.text : '', /acme · salesforce/);
    assert.ok(slackText.includes(alert.summary), `summary in ${slackText}`);
    assert.ok(slackText.includes(`What to do: ${alert.action}`), 'what to do');
    assert.ok(slackText.includes('ORD-'), 'names the business ids');
    teamsMessage.parse(teams.requests[0].json);
    const card = JSON.stringify(teams.requests[0].json);
    assert.ok(card.includes(alert.summary));
    assert.ok(card.includes('https://status.vendor.example/status/acme'), 'links the status page');
    pdTrigger.parse(pagerduty.requests[0].json);
    const trigger = pagerduty.requests[0].json;
    assert.equal(trigger.routing_key, ROUTING_KEY);
    assert.equal(trigger.payload.severity, alert.labels.severity);
    assert.match(trigger.payload.summary, /^acme · salesforce: /);

    const resolved = { ...alert, status: 'resolved' as const, resolvedAt: clock.now(), version: alert.version + 1 };
    await svc.notifier.outbox.enqueue(createMessage({ type: 'alert.resolved', alerts: [resolved], audience: 'operator', tenant: null, groupKey: 'g-chat', createdAt: clock.now() }), targets());
    assert.equal((await svc.notifier.outbox.dispatchDue(clock.now())).delivered, 3);
    assert.match(JSON.stringify(slack.requests[1].json), /Resolved/);
    const resolve = pdResolve.parse(pagerduty.requests[1].json);
    assert.equal(resolve.dedup_key, trigger.dedup_key, 'the resolve closes the incident the trigger opened');
  });

  test('the test send reaches each channel, and refuses a Slack or Teams URL on a private address', async () => {
    for (const target of targets()) {
      const res = await request(svc.server).post('/v1/notifications/test').set('Authorization', `Bearer ${ADMIN}`).send(target);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.ok, true, `${target.channel}: ${JSON.stringify(res.body)}`);
    }
    assert.deepEqual(pagerduty.requests.slice(-2).map((r) => r.json.event_action), ['trigger', 'resolve'], 'a test leaves no incident open');
    for (const channel of ['slack', 'teams']) {
      const res = await request(svc.server).post('/v1/notifications/test').set('Authorization', `Bearer ${ADMIN}`).send({ channel, url: 'http://10.1.2.3/hook' });
      assert.equal(res.status, 400, `${channel}: ${JSON.stringify(res.body)}`);
      assert.match(res.body.error.message, /private|not allowed/i);
    }
  });

  test('tenants subscribe to these channels; the API never shows their URLs or keys in full', async () => {
    const put = await request(svc.server).put('/v1/tenants/acme/subscriptions').set('Authorization', `Bearer ${ADMIN}`).send({ emails: ['it@acme.example'], targets: targets() });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    const get = await request(svc.server).get('/v1/tenants/acme/subscriptions').set('Authorization', `Bearer ${ADMIN}`);
    const text = JSON.stringify(get.body);
    assert.deepEqual(get.body.targets.map((t: { channel: string }) => t.channel), ['slack', 'teams', 'pagerduty']);
    for (const secret of ['XXXXSECRET', 'SECRETSIG', ROUTING_KEY]) assert.ok(!text.includes(secret), `${secret} is not shown`);
    const keep = await request(svc.server).put('/v1/tenants/acme/subscriptions').set('Authorization', `Bearer ${ADMIN}`).send({ emails: ['it@acme.example'] });
    assert.equal(keep.body.targets.length, 3, 'left out, the stored targets are kept');
    const bad = await request(svc.server).put('/v1/tenants/acme/subscriptions').set('Authorization', `Bearer ${ADMIN}`).send({ targets: [{ channel: 'carrier-pigeon' }] });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /channel: must be one of email, webhook, datadog, slack, slack-app, teams, pagerduty/);
  });
});
