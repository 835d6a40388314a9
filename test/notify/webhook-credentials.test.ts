import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loadAlertsSettings, putSubscription, subscriptionBodySchema } from '../../src/alerts/index.js';
import { checkWebhookUrl } from '../../src/notify/index.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { ADMIN, SECRET, startNotifyService, startReceiver, type NotifyService } from './support.js';

// Issue 9, finding 9: a webhook URL's user:password came back verbatim from subscription
// GET/PUT, query-string tokens stayed in the delivery log, and the first 200 characters
// of a receiver's answer were stored and shown on the operator page.
const TOKEN = 'tok_SHOULD_NOT_APPEAR_4711';
let svc: NotifyService;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
before(async () => {
  receiver = await startReceiver(() => ({ status: 400, body: JSON.stringify({ error: `bad token ${TOKEN}`, echo: 'password=hunter2' }) }));
  svc = await startNotifyService({ SYNCWATCH_WEBHOOK_ALLOW: '127.0.0.1' });
});
after(async () => {
  await svc.stop();
  await receiver.close();
});

const auth = { authorization: `Bearer ${ADMIN}` };
const json = { ...auth, 'content-type': 'application/json' };

describe('webhook URLs with credentials are refused', () => {
  test('PUT subscriptions with user:password@ is a 400 naming the URL field; nothing is saved', async () => {
    const url = `${svc.url}/v1/tenants/acme/subscriptions`;
    const res = await fetch(url, { method: 'PUT', headers: json, body: JSON.stringify({ webhooks: [{ url: 'https://ops:hunter2@hooks.example.com/in', secret: SECRET }] }) });
    assert.equal(res.status, 400);
    const text = await res.text();
    assert.match(text, /webhooks\.0\.url: must not carry credentials/);
    assert.doesNotMatch(text, /hunter2/);
    const saved = (await (await fetch(url, { headers: auth })).json()) as { webhooks: unknown[] };
    assert.deepEqual(saved.webhooks, []);
  });

  test('a test notification to such a URL is a 400', async () => {
    const res = await fetch(`${svc.url}/v1/notifications/test`, { method: 'POST', headers: json, body: JSON.stringify({ channel: 'webhook', url: `http://u:hunter2@127.0.0.1:1/x`, secret: SECRET }) });
    assert.equal(res.status, 400);
    assert.match(await res.text(), /must not carry credentials/);
  });

  test('a receiver in the config file with credentials stops the start with a message naming it', () => {
    const file = { alerts: { receivers: { pager: { webhooks: [{ url: 'https://ops:hunter2@hooks.example.com/in', secret: SECRET }] } } } };
    assert.throws(
      () => loadAlertsSettings({ ...loadConfig({}), file }),
      (err: Error) => err instanceof ConfigError && /alerts\.receivers\.pager\.webhooks\.0\.url: must not carry credentials/.test(err.message),
    );
  });

  test('a subscription saved before the rule never shows its password, and is not called with it', async () => {
    const body = subscriptionBodySchema.parse({ webhooks: [{ url: 'https://hooks.example.com/in', secret: SECRET }] });
    body.webhooks[0].url = 'https://ops:hunter2@hooks.example.com/in';
    await putSubscription(svc.driver, 'legacy', body, Date.now(), async () => {});
    const res = await fetch(`${svc.url}/v1/tenants/legacy/subscriptions`, { headers: auth });
    const shown = (await res.json()) as { webhooks: { url: string }[] };
    assert.equal(shown.webhooks[0].url, 'https://hooks.example.com/in');
    // The guard that runs before every send refuses it, so the password never goes out either.
    await assert.rejects(checkWebhookUrl('http://ops:hunter2@127.0.0.1:1/in', ['127.0.0.1']), /must not carry credentials/);
  });
});

test('the delivery log and the operator page keep neither query-string tokens nor the receiver’s answer', async () => {
  const res = await fetch(`${svc.url}/v1/notifications/test`, { method: 'POST', headers: json, body: JSON.stringify({ channel: 'webhook', url: `${receiver.url}/hook?token=${TOKEN}&team=ops`, secret: SECRET }) });
  assert.equal(res.status, 200);
  const result = (await res.json()) as { ok: boolean; status: number; error: string };
  assert.equal(receiver.requests.length, 1, 'the receiver was called with the real URL');
  assert.equal(receiver.requests[0].path, `/hook?token=${TOKEN}&team=ops`);
  assert.deepEqual([result.ok, result.status, result.error], [false, 400, 'receiver answered 400']);

  const log = await (await fetch(`${svc.url}/v1/notifications`, { headers: auth })).text();
  assert.match(log, /token=redacted&team=redacted/);
  assert.match(log, /receiver answered 400/);
  for (const secret of [TOKEN, 'hunter2', 'bad token']) assert.ok(!log.includes(secret), `the delivery log shows ${secret}`);

  const page = await (await fetch(`${svc.url}/`, { headers: auth })).text();
  for (const secret of [TOKEN, 'hunter2', 'bad token']) assert.ok(!page.includes(secret), `the overview page shows ${secret}`);
});
