import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { ManualClock } from '../../src/clock.js';
import { createMessage } from '../../src/notify/index.js';
import { makeAlert, SECRET, startNotifyService, startReceiver, type NotifyService } from './support.js';

const PUBLIC = 'https://watch.example.com';
const clock = new ManualClock();
let svc: NotifyService;
let receiver: Awaited<ReturnType<typeof startReceiver>>;

/** Standard Webhooks verification, written from the spec, independent of src/notify. */
function verifySignature(secret: string, headers: IncomingHttpHeaders, rawBody: string): boolean {
  const key = Buffer.from(secret.slice(secret.indexOf('_') + 1), 'base64');
  const signed = `${headers['webhook-id']}.${headers['webhook-timestamp']}.${rawBody}`;
  const expected = Buffer.from(createHmac('sha256', key).update(signed).digest('base64'));
  return String(headers['webhook-signature'])
    .split(' ')
    .some((entry) => {
      const [version, signature] = entry.split(',');
      const given = Buffer.from(signature ?? '');
      return version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected);
    });
}

before(async () => {
  receiver = await startReceiver();
  svc = await startNotifyService(
    { SYNCWATCH_PUBLIC_URL: PUBLIC, SYNCWATCH_WEBHOOK_ALLOW: '127.0.0.1' },
    { clock, notify: { dispatchEveryMs: 0, timeoutMs: 1_000 } },
  );
});
after(async () => {
  await svc?.stop();
  await receiver?.close();
});

const send = async (message: ReturnType<typeof createMessage>, url = `${receiver.url}/hooks/syncwatch`) => {
  const result = await svc.notifier.channels.webhook({ channel: 'webhook', url, secret: SECRET }, message, { attempt: 1, timeoutMs: 1_000, now: clock.now() });
  return result;
};

describe('webhook channel', () => {
  test('a firing alert arrives as signed JSON that an independent verifier accepts', async () => {
    const message = createMessage({ type: 'alert.firing', alerts: [makeAlert()], audience: 'tenant', tenant: 'acme', groupKey: 'acme/data', createdAt: clock.now() });
    await svc.notifier.outbox.enqueue(message, [{ channel: 'webhook', url: `${receiver.url}/hooks/syncwatch`, secret: SECRET }]);
    const summary = await svc.notifier.outbox.dispatchDue(clock.now());
    assert.equal(summary.delivered, 1);

    const req = receiver.requests.at(-1)!;
    assert.equal(req.method, 'POST');
    assert.equal(req.path, '/hooks/syncwatch');
    assert.equal(req.headers['content-type'], 'application/json');
    assert.equal(req.headers['webhook-id'], message.id);
    assert.equal(req.headers['webhook-timestamp'], String(Math.floor(clock.now() / 1000)));
    assert.match(String(req.headers['webhook-signature']), /^v1,[A-Za-z0-9+/]+=*$/);
    assert.equal(verifySignature(SECRET, req.headers, req.raw), true, 'the signature verifies');
    assert.equal(verifySignature(SECRET, req.headers, req.raw.replace('acme', 'acmf')), false, 'a changed body does not verify');

    const body = req.json;
    assert.equal(body.type, 'alert.firing');
    assert.equal(body.id, message.id);
    assert.equal(body.created_at, new Date(clock.now()).toISOString());
    assert.deepEqual(body.alert, body.alerts[0]);
    assert.deepEqual(body.alert, {
      fingerprint: 'fp-acme-sf-orders-data',
      rule: 'data-failures',
      severity: 'warning',
      category: 'data',
      code: 'validation',
      retryable: false,
      tenant: 'acme',
      integration: 'salesforce',
      flow: 'orders.export',
      status: 'firing',
      summary: '12 orders failed validation in the last 15 minutes',
      action: 'Fix these records in your system; they will sync on the next run.',
      started_at: '2026-11-22T11:46:00.000Z',
      resolved_at: null,
      value_at_risk: { amount: 12345.5, currency: 'USD' },
      records: [
        { id: 'ORD-1001', message: 'email is required' },
        { id: 'ORD-1002', message: 'amount must be positive', run: 'run-42', run_report_url: body.alert.records[1].run_report_url },
      ],
      // No running figures on this alert (its rule does not count records), and it has not resolved.
      records_affected: null,
      records_recovered: null,
      records_url: null,
      duration: null,
      status_page_url: body.alert.status_page_url,
    });
    // Page links in a tenant's payload are signed for that tenant (src/links.ts).
    for (const [url, path] of [
      [body.alert.status_page_url, '/status/acme'],
      [body.alert.records[1].run_report_url, '/status/acme/runs/run-42'],
    ]) {
      const parsed = new URL(url);
      assert.equal(`${parsed.origin}${parsed.pathname}`, `${PUBLIC}${path}`);
      assert.deepEqual(svc.signer.verify(parsed.searchParams.get('access') ?? '', clock.now())?.tenants, ['acme']);
    }
    assert.ok(!req.raw.includes(SECRET), 'the secret is never in the body');
  });

  test('a resolved alert says so, with its resolve time', async () => {
    const resolvedAt = Date.UTC(2026, 10, 22, 12, 5);
    const message = createMessage({ type: 'alert.resolved', alerts: [makeAlert({ status: 'resolved', resolvedAt })], audience: 'tenant', tenant: 'acme', groupKey: 'acme/data', createdAt: resolvedAt });
    assert.equal((await send(message)).ok, true);
    const body = receiver.requests.at(-1)!.json;
    assert.equal(body.type, 'alert.resolved');
    assert.equal(body.alert.resolved_at, '2026-11-22T12:05:00.000Z');
  });

  test('a redirect is not followed and not retried', async () => {
    receiver.setReply(() => ({ status: 302, headers: { location: 'http://169.254.169.254/latest/meta-data' } }));
    const before = receiver.requests.length;
    const result = await send(createMessage({ type: 'test', alerts: [], audience: 'operator', tenant: null, groupKey: 't', createdAt: clock.now() }));
    receiver.setReply(() => ({ status: 200 }));
    assert.equal(result.ok, false);
    assert.equal(result.status, 302);
    assert.equal(result.retryable, false);
    assert.equal(receiver.requests.length, before + 1, 'one request, no second one to the redirect target');
  });

  test('429 and 5xx are retryable with Retry-After; other 4xx are not', async () => {
    const msg = createMessage({ type: 'test', alerts: [], audience: 'operator', tenant: null, groupKey: 't', createdAt: clock.now() });
    const cases: [number, Record<string, string>, boolean, number | undefined][] = [
      [429, { 'retry-after': '120' }, true, 120_000],
      [503, { 'retry-after': new Date(clock.now() + 90_000).toUTCString() }, true, 90_000],
      [500, {}, true, undefined],
      [400, {}, false, undefined],
      [410, { 'retry-after': '5' }, false, undefined],
    ];
    for (const [status, headers, retryable, retryAfterMs] of cases) {
      receiver.setReply(() => ({ status, headers, body: '{"error":"nope"}' }));
      const result = await send(msg);
      assert.equal(result.ok, false, `${status}`);
      assert.equal(result.status, status);
      assert.equal(result.retryable, retryable, `${status} retryable`);
      assert.equal(result.retryAfterMs, retryAfterMs, `${status} Retry-After`);
      assert.equal(result.error, `receiver answered ${status}`, 'the answer body is not kept');
    }
    receiver.setReply(() => ({ status: 200 }));
  });

  test('a receiver that does not answer in time is a retryable failure', async () => {
    // Accepts the request but never answers.
    const hang = createServer(() => {});
    await new Promise<void>((resolve) => hang.listen(0, '127.0.0.1', resolve));
    const port = (hang.address() as { port: number }).port;
    try {
      const result = await send(createMessage({ type: 'test', alerts: [], audience: 'operator', tenant: null, groupKey: 't', createdAt: clock.now() }), `http://127.0.0.1:${port}/`);
      assert.equal(result.ok, false);
      assert.equal(result.retryable, true);
      assert.match(result.error ?? '', /no answer within 1000 ms/);
    } finally {
      hang.closeAllConnections();
      await new Promise<void>((resolve) => hang.close(() => resolve()));
    }
  });

  test('a refused connection is a retryable network error', async () => {
    const result = await send(createMessage({ type: 'test', alerts: [], audience: 'operator', tenant: null, groupKey: 't', createdAt: clock.now() }), 'http://127.0.0.1:1/');
    assert.equal(result.ok, false);
    assert.equal(result.retryable, true);
    assert.match(result.error ?? '', /ECONNREFUSED/);
  });

  test('the official standardwebhooks library verifies what syncwatch sends, and refuses a changed body', async () => {
    // The library checks the timestamp against the real clock (5 minutes' tolerance).
    clock.set(Date.now());
    const message = createMessage({ type: 'alert.firing', alerts: [makeAlert()], audience: 'tenant', tenant: 'acme', groupKey: 'acme/official', createdAt: clock.now() });
    const result = await send(message);
    assert.equal(result.ok, true);
    const req = receiver.requests.at(-1)!;
    const headers = { 'webhook-id': String(req.headers['webhook-id']), 'webhook-timestamp': String(req.headers['webhook-timestamp']), 'webhook-signature': String(req.headers['webhook-signature']) };
    const payload = new Webhook(SECRET).verify(req.raw, headers) as { id: string; type: string };
    assert.equal(payload.id, message.id);
    assert.equal(payload.type, 'alert.firing');
    assert.throws(() => new Webhook(SECRET).verify(req.raw.replace('acme', 'acmf'), headers), WebhookVerificationError);
  });
});
