/**
 * Scheduled value reports reach a real SMTP server and a real webhook receiver on loopback,
 * once per period per tenant — across two weeks and a month boundary, when run twice for
 * the same time, and after a restart — with both email parts, the figures, a valid
 * Standard Webhooks signature, and nothing for tenants that did not ask.
 */
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { ManualClock } from '../../src/clock.js';
import { SECRET, startNotifyService, startReceiver, startSmtp, waitFor, type NotifyService } from '../notify/support.js';
import { ADMIN, DAY, HOUR, postEvents, VALUE_CONFIG } from './support.js';

const clock = new ManualClock(Date.UTC(2026, 9, 1, 5));
let svc: NotifyService & { db: Awaited<ReturnType<typeof startNotifyService>>['db'] };
let smtp: Awaited<ReturnType<typeof startSmtp>>;
let hooks: Awaited<ReturnType<typeof startReceiver>>;
let env: Record<string, string>;

/** Standard Webhooks verification written from the spec, independent of src/notify. */
function verifySignature(secret: string, headers: IncomingHttpHeaders, body: string): boolean {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = Buffer.from(createHmac('sha256', key).update(`${headers['webhook-id']}.${headers['webhook-timestamp']}.${body}`).digest('base64'));
  return String(headers['webhook-signature'] ?? '')
    .split(' ')
    .some((s) => s.startsWith('v1,') && Buffer.from(s.slice(3)).length === expected.length && timingSafeEqual(Buffer.from(s.slice(3)), expected));
}

const OPTIONS = { clock, notify: { dispatchEveryMs: 0, reportMetrics: false }, alerts: { schedule: false, lease: { settleMs: 0 } }, reports: { schedule: false } };

async function start(dataDir?: string) {
  const s = await startNotifyService(env, OPTIONS, dataDir, svc?.db);
  await waitFor(() => s.alerting.engine!.isLeader, 10_000, 'the lease');
  return s;
}

/** A day of acme/globex/quiet activity: one run with a few records each. */
function day(t: number, tenant: string, integration: string, n: number) {
  const run = `${tenant}-${integration}-${t}`;
  const base = { tenant, integration, flow: 'orders.export', run };
  return [
    { id: `${run}-s`, type: 'run.started', time: new Date(t).toISOString(), ...base },
    ...Array.from({ length: n }, (_, i) => ({
      id: `${run}-${i}`,
      type: 'record.synced',
      time: new Date(t + (i + 1) * 1000).toISOString(),
      ...base,
      record: { id: `ORD-${tenant}-${t}-${i}`, type: 'orders', value: 100 + i, currency: i % 2 ? 'EUR' : 'USD' },
    })),
    { id: `${run}-e`, type: 'run.succeeded', time: new Date(t + 60_000).toISOString(), ...base },
  ];
}

const reportMails = () => smtp.mails.filter((m) => m.headers.get('x-syncwatch-type') === 'report.value');
const reportHooks = () => hooks.requests.filter((r) => r.json?.type === 'report.value');

before(async () => {
  smtp = await startSmtp();
  hooks = await startReceiver();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'syncwatch-report-schedule-'));
  const configFile = path.join(dataDir, 'config.yaml');
  writeFileSync(configFile, VALUE_CONFIG);
  env = { SMTP_URL: smtp.url, SYNCWATCH_EMAIL_FROM: 'syncwatch@vendor.example', SYNCWATCH_WEBHOOK_ALLOW: '127.0.0.1', SYNCWATCH_PUBLIC_URL: 'https://watch.example.com', SYNCWATCH_CONFIG: configFile };
  svc = await start(dataDir);

  const events: object[] = [];
  for (let t = Date.UTC(2026, 8, 1, 9); t < Date.UTC(2026, 9, 12); t += DAY) {
    events.push(...day(t, 'acme', 'salesforce', 3), ...day(t + HOUR, 'globex', 'globex-only-crm', 2), ...day(t + 2 * HOUR, 'initech', 'hubspot', 1));
  }
  events.push(...day(Date.UTC(2026, 8, 23, 9), 'quiet', 'salesforce', 1)); // week 39 only
  // The history is posted in one go as a backfill, at its end (ingest refuses events more than 24 h ahead of the clock).
  clock.set(Date.UTC(2026, 9, 12));
  await postEvents(svc, events);
  clock.set(Date.UTC(2026, 9, 1, 5));

  const put = (tenant: string, body: object) => request(svc.server).put(`/v1/tenants/${tenant}/subscriptions`).set('Authorization', `Bearer ${ADMIN}`).send(body);
  const subscribed = await Promise.all([
    put('acme', { emails: ['it@acme.example'], webhooks: [{ url: `${hooks.url}/hooks/acme`, secret: SECRET }], value_report: { weekly: true, monthly: true } }),
    put('globex', { emails: ['finance@globex.example'] }), // the default: monthly only
    put('quiet', { emails: ['ops@quiet.example'], value_report: { weekly: true, monthly: false } }),
    put('umbrella', { emails: ['it@umbrella.example'], value_report: { weekly: false, monthly: false } }),
  ]);
  for (const res of subscribed) assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.deepEqual(subscribed[1].body.value_report, { weekly: false, monthly: true }, 'monthly on, weekly off by default');
});
after(async () => {
  await svc?.stop();
  await smtp?.close();
  await hooks?.close();
});

/** Runs the scheduler at `at`, then delivers what it queued. */
async function runAt(at: number) {
  clock.set(at);
  const handled = await svc.reports!.runDue(at);
  await svc.notifier.outbox.dispatchDue(at);
  return handled.map((h) => `${h.kind} ${h.period} ${h.tenant} ${h.outcome}`).sort();
}

describe('scheduled value reports', () => {
  test('nothing before 06:00 UTC on the 1st; at 06:00 the monthly report of September, once per subscribed tenant', async () => {
    assert.deepEqual(await runAt(Date.UTC(2026, 9, 1, 5, 59)), []);
    assert.deepEqual(await runAt(Date.UTC(2026, 9, 1, 6)), ['monthly 2026-09 acme sent', 'monthly 2026-09 globex sent']);
    const mails = reportMails();
    assert.equal(mails.length, 2);
    const acme = mails.find((m) => m.envelopeTo.includes('it@acme.example'))!;
    assert.equal(acme.subject, '[syncwatch] acme: Value report, September 2026');
    assert.ok(acme.html && acme.text, 'an HTML and a plain-text part');
    assert.match(String(acme.html), /<svg /);
    assert.ok(!/<(svg|table|td|a )/.test(acme.text!), 'no markup in the text part');

    const model = (await request(svc.server).get('/v1/reports/value').query({ tenant: 'acme', period: '2026-09' }).set('Authorization', `Bearer ${ADMIN}`)).body;
    const records = new Intl.NumberFormat('en-US').format(model.totals.records_moved.current);
    const money = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' }).format(model.totals.money_moved.current.total);
    assert.equal(model.totals.records_moved.current, 90, '30 days × 3 records');
    for (const body of [String(acme.html), acme.text!]) {
      assert.ok(body.includes(records), 'records moved');
      assert.ok(body.includes(money), 'money moved');
      assert.ok(!body.includes('globex-only-crm'), "another tenant's data never appears");
    }
    assert.ok(acme.text!.includes('https://watch.example.com/reports/acme?period=2026-09&access='), 'a signed link to the report page');
    const globex = mails.find((m) => m.envelopeTo.includes('finance@globex.example'))!;
    assert.ok(globex.text!.includes('globex-only-crm'));
    assert.ok(!globex.text!.includes('salesforce'), "acme's integration is not in globex's report");
  });

  test('the webhook variant: type report.value, the JSON model in data, a valid Standard Webhooks signature', async () => {
    const [hook] = reportHooks();
    assert.ok(hook, 'one webhook call');
    assert.equal(reportHooks().length, 1);
    assert.equal(hook.path, '/hooks/acme');
    assert.ok(verifySignature(SECRET, hook.headers, hook.raw), 'the signature verifies');
    assert.ok(!verifySignature(SECRET, hook.headers, hook.raw.replace('"acme"', '"acmf"')), 'a changed body does not');
    assert.equal(hook.json.tenant, 'acme');
    assert.equal(hook.json.data.period.label, '2026-09');
    assert.equal(hook.json.data.totals.records_moved.current, 90);
    assert.match(hook.json.data.links.report_url, /^https:\/\/watch\.example\.com\/reports\/acme\?period=2026-09&access=/);
    assert.ok(!hook.raw.includes('<svg'), 'the JSON model, not the email view');
  });

  test('running again for the same time, or after a restart, sends nothing more', async () => {
    assert.deepEqual(await runAt(Date.UTC(2026, 9, 1, 6)), []);
    const dataDir = svc.dataDir;
    await svc.stop(true);
    svc = await start(dataDir);
    assert.deepEqual(await runAt(Date.UTC(2026, 9, 1, 7)), []);
    assert.equal(reportMails().length, 2);
    assert.equal(reportHooks().length, 1);
  });

  test('weekly on Mondays for tenants that asked: a quiet week after an active one says so; a second quiet one is skipped', async () => {
    assert.deepEqual(await runAt(Date.UTC(2026, 9, 5, 6)), ['weekly 2026-W40 acme sent', 'weekly 2026-W40 quiet sent']);
    const quiet = reportMails().find((m) => m.envelopeTo.includes('ops@quiet.example'))!;
    assert.match(quiet.text!, /There was no activity for quiet in week 40 of 2026: no runs, and no records moved\./);
    assert.deepEqual(await runAt(Date.UTC(2026, 9, 12, 6, 30)), ['weekly 2026-W41 acme sent', 'weekly 2026-W41 quiet skipped']);
    assert.deepEqual(await runAt(Date.UTC(2026, 9, 12, 7)), []);

    const subjects = reportMails().map((m) => `${m.envelopeTo.join(',')} ${m.subject}`).sort();
    assert.deepEqual(subjects, [
      'finance@globex.example [syncwatch] globex: Value report, September 2026',
      'it@acme.example [syncwatch] acme: Value report, September 2026',
      'it@acme.example [syncwatch] acme: Value report, week 40 of 2026',
      'it@acme.example [syncwatch] acme: Value report, week 41 of 2026',
      'ops@quiet.example [syncwatch] quiet: Value report, week 40 of 2026',
    ]);
    assert.equal(reportHooks().length, 3);
    assert.ok(reportHooks().every((h) => verifySignature(SECRET, h.headers, h.raw)));
    assert.ok(!reportMails().some((m) => m.envelopeTo.includes('it@umbrella.example')), 'a tenant that turned reports off gets none');
  });

  test('a worker down at send time catches up within a day, not later', async () => {
    // October's report was due 1 Nov 06:00 and week 44's 2 Nov 06:00: a first check on 3 Nov 09:00 is too late for both.
    assert.deepEqual(await runAt(Date.UTC(2026, 10, 3, 9)), []);
    assert.ok(!reportMails().some((m) => m.subject?.includes('October 2026')));
  });

  test('syncwatch report --send delivers a report now, whatever the schedule, and prints the outcome', async () => {
    const { runReportCommand } = await import('../../src/reports/cli.js');
    const out: string[] = [];
    const io = { out: (t: string) => void out.push(t), err: (t: string) => void out.push(t) };
    const before = { mails: reportMails().length, hooks: reportHooks().length };
    const code = await runReportCommand(svc.config, { tenant: 'acme', period: '2026-10', send: true, wait: '20' }, io, { driver: svc.driver, clock });
    assert.equal(code, 0, out.join(''));
    assert.match(out.join(''), /enqueued Value report, October 2026 for acme: email \(1\), webhook \(1\)/);
    assert.match(out.join(''), /email: delivered/);
    assert.match(out.join(''), /webhook: delivered/);
    assert.equal(reportMails().length, before.mails + 1);
    assert.equal(reportMails().at(-1)!.subject, '[syncwatch] acme: Value report, October 2026');
    assert.equal(reportHooks().length, before.hooks + 1);
    assert.ok(verifySignature(SECRET, reportHooks().at(-1)!.headers, reportHooks().at(-1)!.raw));
  });
});
