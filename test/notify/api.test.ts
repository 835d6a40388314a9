import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { createMessage } from '../../src/notify/index.js';
import { ADMIN, INGEST, makeAlert, SECRET, startNotifyService, startReceiver, startSmtp, waitFor, type NotifyService } from './support.js';

let svc: NotifyService;
let smtp: Awaited<ReturnType<typeof startSmtp>>;
let hooks: Awaited<ReturnType<typeof startReceiver>>;
let dd: Awaited<ReturnType<typeof startReceiver>>;

before(async () => {
  smtp = await startSmtp();
  hooks = await startReceiver((req) => (req.path === '/broken' ? { status: 500, body: 'oops' } : { status: 200 }));
  dd = await startReceiver(() => ({ status: 202, body: '{"status":"ok"}' }));
  // The real clock and the real dispatch loop: what a worker process runs.
  svc = await startNotifyService(
    { SMTP_URL: smtp.url, DD_API_KEY: 'dd-key-0123456789', SYNCWATCH_DATADOG_URL: dd.url, SYNCWATCH_WEBHOOK_ALLOW: '127.0.0.1' },
    { notify: { reportMetrics: false } },
  );
});
after(async () => {
  await svc?.stop();
  await smtp?.close();
  await hooks?.close();
  await dd?.close();
});

const postTest = (body: unknown, key = ADMIN) => request(svc.server).post('/v1/notifications/test').set('Authorization', `Bearer ${key}`).send(body as object);

describe('POST /v1/notifications/test', () => {
  test('email: a test mail reaches the SMTP server and the result is reported', async () => {
    const res = await postTest({ channel: 'email', to: ['it@acme.example'] });
    assert.equal(res.status, 200);
    assert.equal(res.body.ok, true);
    assert.equal(res.body.status, 250);
    assert.equal(res.body.error, null);
    assert.match(res.body.delivery_id, /^dlv_/);
    assert.equal(smtp.mails.length, 1);
    assert.equal(smtp.mails[0].subject, '[syncwatch] Test notification');
    assert.deepEqual(smtp.mails[0].envelopeTo, ['it@acme.example']);
  });

  test('webhook: a signed test payload reaches the receiver; a failing receiver is reported, not thrown', async () => {
    const ok = await postTest({ channel: 'webhook', url: `${hooks.url}/ok`, secret: SECRET });
    assert.equal(ok.status, 200);
    assert.deepEqual([ok.body.ok, ok.body.status], [true, 200]);
    const got = hooks.requests.at(-1)!;
    assert.equal(got.json.type, 'test');
    assert.equal(got.headers['webhook-id'], ok.body.message_id);
    assert.match(String(got.headers['webhook-signature']), /^v1,/);

    const broken = await postTest({ channel: 'webhook', url: `${hooks.url}/broken`, secret: SECRET });
    assert.equal(broken.status, 200);
    assert.deepEqual([broken.body.ok, broken.body.status, broken.body.retryable], [false, 500, true]);
    assert.equal(broken.body.error, 'receiver answered 500', 'the answer body (oops) is not kept');
  });

  test('datadog: a test event reaches the Datadog API', async () => {
    const res = await postTest({ channel: 'datadog' });
    assert.equal(res.status, 200);
    assert.equal(res.body.ok, true);
    const event = dd.requests.at(-1)!;
    assert.equal(event.path, '/api/v1/events');
    assert.equal(event.json.title, 'syncwatch test notification');
    assert.equal(event.headers['dd-api-key'], 'dd-key-0123456789');
  });

  test('a webhook URL on a private network is refused with 400', async () => {
    for (const url of ['http://10.0.0.8/hook', 'http://169.254.169.254/latest/meta-data', 'http://[::1]:8080/']) {
      const res = await postTest({ channel: 'webhook', url, secret: SECRET });
      assert.equal(res.status, 400, url);
      assert.equal(res.body.error.code, 'webhook_url_refused');
    }
  });

  test('invalid bodies are 400 naming the problem', async () => {
    const cases: [unknown, RegExp][] = [
      [{ channel: 'sms', to: ['x'] }, /channel/],
      [{ channel: 'email', to: [] }, /to: must name at least one address/],
      [{ channel: 'email', to: ['not-an-address'] }, /to\.0: must be an email address/],
      [{ channel: 'webhook', url: 'ftp://example.com/', secret: SECRET }, /url: must be an http or https URL/],
      [{ channel: 'webhook', url: 'https://example.com/', secret: 'short' }, /secret: must be a Standard Webhooks secret: "whsec_"/],
      [{ channel: 'webhook', url: 'https://example.com/', secret: 'a-plain-secret-that-is-long-enough' }, /secret: must be a Standard Webhooks secret/],
      [{ channel: 'webhook', url: 'https://example.com/', secret: 'whsec_!!!!!!!!!!!!!!!!!!!!!!!!' }, /secret: a whsec_ secret must be followed by the base64/],
      [{ channel: 'datadog', extra: 1 }, /extra|Unrecognized/i],
      [{}, /channel/],
    ];
    for (const [body, message] of cases) {
      const res = await postTest(body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.body.error.code, 'invalid_parameter');
      assert.match(res.body.error.message, message);
    }
    const malformed = await request(svc.server).post('/v1/notifications/test').set('Authorization', `Bearer ${ADMIN}`).set('content-type', 'application/json').send('{"channel":');
    assert.equal(malformed.status, 400);
  });

  test('only admin keys may use the notification API', async () => {
    assert.equal((await request(svc.server).get('/v1/notifications')).status, 401);
    assert.equal((await postTest({ channel: 'datadog' }, INGEST)).status, 403);
  });
});

describe('GET /v1/notifications', () => {
  test('lists deliveries with their attempts and response codes, never secrets', async () => {
    const res = await request(svc.server).get('/v1/notifications').query({ limit: 100 }).set('Authorization', `Bearer ${ADMIN}`);
    assert.equal(res.status, 200);
    const channels = res.body.deliveries.map((d: { channel: string }) => d.channel);
    assert.ok(channels.includes('email') && channels.includes('webhook') && channels.includes('datadog'), 'every channel tested above is listed');
    const broken = res.body.deliveries.find((d: { target: { url?: string } }) => d.target.url?.endsWith('/broken'));
    assert.equal(broken.status, 'dead');
    assert.deepEqual(broken.attempts.map((a: { status: number }) => a.status), [500]);
    assert.ok(!res.text.includes(SECRET) && !res.text.includes('secret'), 'no secret, not even the field');
  });

  test('bad filters are 400', async () => {
    for (const query of [{ status: 'lost' }, { limit: 0 }, { limit: 501 }, { limit: 'many' }]) {
      const res = await request(svc.server).get('/v1/notifications').query(query).set('Authorization', `Bearer ${ADMIN}`);
      assert.equal(res.status, 400, JSON.stringify(query));
    }
  });
});

describe('the dispatch loop of a worker process', () => {
  test('an enqueued alert is delivered within moments, without waiting for the next tick', async () => {
    const message = createMessage({ type: 'alert.firing', alerts: [makeAlert()], audience: 'tenant', tenant: 'acme', groupKey: 'loop', createdAt: Date.now() });
    const before = hooks.requests.length;
    await svc.notifier.outbox.enqueue(message, [{ channel: 'webhook', url: `${hooks.url}/loop`, secret: SECRET }]);
    await waitFor(() => hooks.requests.length > before, 5_000, 'the webhook');
    assert.equal(hooks.requests.at(-1)!.headers['webhook-id'], message.id);
  });
});
