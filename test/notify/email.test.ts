import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../../src/clock.js';
import { createEmailChannel } from '../../src/notify/email.js';
import { Links } from '../../src/links.js';
import { createEmailRenderer, createMessage, renderEmail } from '../../src/notify/index.js';
import { makeAlert, startNotifyService, startSmtp, type NotifyService } from './support.js';

const PUBLIC = 'https://watch.example.com';
/** Unsigned links: the rendering tests look at templates, not at signing. */
const LINKS = new Links(PUBLIC, null, new ManualClock());
const HOSTILE = '<script>alert("x")</script>';
let svc: NotifyService;
let smtp: Awaited<ReturnType<typeof startSmtp>>;
const clock = new ManualClock();

before(async () => {
  smtp = await startSmtp();
  svc = await startNotifyService(
    { SMTP_URL: smtp.url, SYNCWATCH_EMAIL_FROM: 'syncwatch@example.com', SYNCWATCH_PUBLIC_URL: PUBLIC },
    { clock, notify: { dispatchEveryMs: 0 } },
  );
});
after(async () => {
  await svc?.stop();
  await smtp?.close();
});

describe('email channel over a real SMTP server', () => {
  test('an alert email names tenant, integration and what happened, lists the records and links the status page', async () => {
    const alert = makeAlert({
      records: [
        { id: 'ORD-1001', message: 'email is required' },
        { id: HOSTILE, message: 'name <b>bold</b> & "quoted"' },
      ],
    });
    const message = createMessage({ type: 'alert.firing', alerts: [alert], audience: 'tenant', tenant: 'acme', groupKey: 'acme/data', createdAt: clock.now() });
    await svc.notifier.outbox.enqueue(message, [{ channel: 'email', to: ['it@acme.example', 'ops@acme.example'] }]);
    const summary = await svc.notifier.outbox.dispatchDue(clock.now());
    assert.deepEqual(summary, { attempted: 1, delivered: 1, retrying: 0, dead: 0, superseded: 0 });

    assert.equal(smtp.mails.length, 1);
    const mail = smtp.mails[0];
    assert.equal(mail.subject, '[syncwatch] acme · salesforce: 12 orders failed validation in the last 15 minutes');
    assert.deepEqual(mail.envelopeTo.sort(), ['it@acme.example', 'ops@acme.example']);
    assert.equal(mail.from?.value[0].address, 'syncwatch@example.com');
    assert.equal(mail.messageId, `<${message.id}@watch.example.com>`);

    const text = mail.text ?? '';
    const html = String(mail.html);
    for (const body of [text, html]) {
      assert.match(body, /ORD-1001/);
      assert.match(body, /email is required/);
      assert.match(body, /Fix these records in your system/);
      assert.match(body, /\$12,345\.50/);
      assert.ok(body.includes(`${PUBLIC}/status/acme`), 'links the status page');
    }
    // Hostile strings are text in the HTML, never markup.
    assert.ok(!html.includes(HOSTILE), 'the raw script tag does not reach the HTML');
    assert.ok(html.includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;'), 'the business id is shown as text');
    assert.ok(html.includes('name &lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot;'), 'the reason is shown as text');
    // …and plain text in the text body.
    assert.ok(text.includes(HOSTILE), 'the text body has the id as it is');
  });

  test('a tenant email carries signed, expiring links to its run report and status page', async () => {
    const message = createMessage({ type: 'alert.firing', alerts: [makeAlert({ fingerprint: 'fp-run' })], audience: 'tenant', tenant: 'acme', groupKey: 'g2', createdAt: clock.now() });
    await svc.notifier.outbox.enqueue(message, [{ channel: 'email', to: ['it@acme.example'] }]);
    await svc.notifier.outbox.dispatchDue(clock.now());
    const mail = smtp.mails.at(-1)!;
    const link = new RegExp(`${PUBLIC}/status/acme/runs/run-42\\?access=([A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+)`).exec(mail.text ?? '')?.[0];
    assert.ok(link, 'the text body links the run report page with an access token');
    const grant = svc.signer.verify(new URL(link).searchParams.get('access')!, clock.now());
    assert.deepEqual(grant && { role: grant.role, tenants: grant.tenants }, { role: 'tenant', tenants: ['acme'] }, 'the token opens acme only');
    assert.ok(grant!.expiresAt > clock.now() && grant!.expiresAt <= clock.now() + 15 * 86_400_000, 'the token expires within about two weeks');
    assert.equal(svc.signer.verify(new URL(link).searchParams.get('access')!, clock.now() + 30 * 86_400_000), null, 'and is refused after it expires');
    assert.match(mail.text ?? '', new RegExp(`${PUBLIC}/status/acme\\?access=`), 'the status page link is signed too');
    // In the HTML the link is an attribute value, entity-escaped as handlebars does (= becomes &#x3D;).
    const decoded = String(mail.html).replace(/&#x3D;/g, '=').replace(/&amp;/g, '&');
    assert.ok(decoded.includes(`href="${link}"`), 'the HTML body links the run report');
  });

  test('an SMTP 5xx refusal is final, a 4xx one is retried', async () => {
    const { SMTPServer } = await import('smtp-server');
    let code = 550;
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onRcptTo: (_address, _session, cb) => cb(Object.assign(new Error('mailbox unavailable'), { responseCode: code })),
    });
    server.listen(0, '127.0.0.1');
    await once(server.server, 'listening');
    const { port } = server.server.address() as AddressInfo;
    const channel = createEmailChannel({ smtpUrl: `smtp://127.0.0.1:${port}`, from: 'syncwatch@example.com', links: LINKS, renderer: createEmailRenderer(), timeoutMs: 5000 });
    const message = createMessage({ type: 'test', alerts: [], audience: 'operator', tenant: null, groupKey: 't', createdAt: clock.now() });
    try {
      const permanent = await channel({ channel: 'email', to: ['nobody@example.com'] }, message, { attempt: 1, timeoutMs: 5000, now: clock.now() });
      assert.equal(permanent.ok, false);
      assert.equal(permanent.status, 550);
      assert.equal(permanent.retryable, false);
      code = 451;
      const transient = await channel({ channel: 'email', to: ['nobody@example.com'] }, message, { attempt: 1, timeoutMs: 5000, now: clock.now() });
      assert.equal(transient.status, 451);
      assert.equal(transient.retryable, true);
    } finally {
      channel.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('email templates', () => {
  const renderer = createEmailRenderer();

  test('resolved: says it is resolved, when, and that nothing more is needed', () => {
    const alert = makeAlert({ status: 'resolved', resolvedAt: Date.UTC(2026, 10, 22, 12, 30) });
    const message = createMessage({ type: 'alert.resolved', alerts: [alert], audience: 'tenant', tenant: 'acme', groupKey: 'g', createdAt: Date.UTC(2026, 10, 22, 12, 30) });
    const email = renderEmail(message, renderer, LINKS);
    assert.equal(email.subject, '[syncwatch] Resolved: acme · salesforce: 12 orders failed validation in the last 15 minutes');
    assert.match(email.text, /resolved 2026-11-22 12:30 UTC/);
    assert.match(email.html, /Nothing more to do/);
    assert.doesNotMatch(email.text, /What you can do/);
  });

  test('grouped: one operator message for an outage across tenants', () => {
    const alerts = ['acme', 'globex', 'initech'].map((tenant) =>
      makeAlert({ fingerprint: `fp-${tenant}`, summary: 'Salesforce API unavailable (503)', action: 'Nothing to do: we are on it.', records: [], valueAtRisk: null }, { tenant, category: 'endpoint', code: 'unavailable' }),
    );
    const message = createMessage({ type: 'alert.firing', alerts, audience: 'operator', tenant: null, groupKey: 'salesforce/outage', createdAt: clock.now() });
    const email = renderEmail(message, renderer, LINKS);
    assert.equal(email.subject, '[syncwatch] 3 tenants: Salesforce API unavailable (503) (+2 more)');
    for (const tenant of ['acme', 'globex', 'initech']) assert.ok(email.html.includes(`${PUBLIC}/status/${tenant}`), `links ${tenant}'s status page`);
    assert.match(email.html, /3 alerts: 3 tenants · salesforce/);
  });

  test('digest and test messages render both bodies', () => {
    const digest = createMessage({ type: 'alert.digest', alerts: [makeAlert({}, { severity: 'info' })], audience: 'tenant', tenant: 'acme', groupKey: 'd', createdAt: clock.now() });
    const d = renderEmail(digest, renderer, LINKS);
    assert.equal(d.subject, '[syncwatch] acme: digest of 1 alert');
    assert.match(d.text, /ORD-1001/);
    assert.match(d.html, /1 alert for acme · salesforce/);
    const t = renderEmail(createMessage({ type: 'test', alerts: [], audience: 'operator', tenant: null, groupKey: 't', createdAt: clock.now() }), renderer, LINKS);
    assert.equal(t.subject, '[syncwatch] Test notification');
    assert.match(t.text, /This is a test from syncwatch/);
    assert.match(t.html, /<h1[^>]*>Test notification<\/h1>/);
  });
});
