import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../../src/clock.js';
import { startReceiver } from '../notify/support.js';
import { MIN, SECRET, datadogEvents, startReceivers, startScenario, waitFor, webhooks, type Receivers, type Scenario } from './scenarios-support.js';

// Issue 12, row 4, with the shipped rules and default routes: 3 records of every run fail
// validation for 45 minutes, then the tenant fixes them. Ideal: one grouped message for
// the tenant, kept current (updates when the group doubles, at most once per
// group_interval), resolved promptly (10 minutes after the first clean run, not 90), and
// nothing for operators. Every figure a message carries is recounted here from the raw
// events the test sent.

const base = Math.floor(Date.now() / (5 * MIN)) * 5 * MIN;
const RUN_EVERY = 90_000;
const FIXED_AT = base + 45 * MIN;
const WINDOW = 60 * MIN;
const GROUP_INTERVAL = 5 * MIN;
const RESOLVE_AFTER = 10 * MIN;
const flow = { tenant: 'globex', integration: 'salesforce', flow: 'orders.export' };
const ERROR = { message: 'Validation failed: ship_to.postal_code is required', http_status: 422 };

type Sent = { type: string; time: number; record?: { id: string; value: number } };
const sent: Sent[] = [];

/** One 90-second run at `at`: 10 orders, the first 3 rejected until the fix; the first clean run re-syncs the 60 oldest rejected ones. */
function runAt(at: number): Record<string, unknown>[] {
  const k = Math.round((at - base) / RUN_EVERY);
  const run = { ...flow, run: `run-${k}` };
  const events: Record<string, unknown>[] = [];
  const record = (id: string, i: number, ok: boolean) => ({
    type: ok ? 'record.synced' : 'record.failed',
    time: at - 20_000 + i * 100,
    ...run,
    record: { id, type: 'order', value: 250, currency: 'USD' },
    ...(ok ? {} : { error: ERROR }),
  });
  if (at === FIXED_AT) for (let j = 0; j < 20; j++) for (let i = 0; i < 3; i++) events.push(record(`SO-${j}-${i}`, 10 + j * 3 + i, true));
  for (let i = 0; i < 10; i++) events.push(record(`SO-${k}-${i}`, i, at >= FIXED_AT || i >= 3));
  events.push({ type: 'run.succeeded', time: at, ...run });
  return events;
}

/** Independent recount as of `t`: records failed in the window, those still failing, the newest 10 failed ids, the money at risk. */
function recount(t: number) {
  const inWindow = sent.filter((e) => e.record && e.time <= t);
  const failed = inWindow.filter((e) => e.type === 'record.failed' && e.time > t - WINDOW);
  const ids = new Set(failed.map((e) => e.record!.id));
  const latest = new Map<string, Sent>();
  for (const e of [...inWindow].sort((a, b) => a.time - b.time)) latest.set(e.record!.id, e);
  const outstanding = [...ids].filter((id) => latest.get(id)!.type === 'record.failed');
  const newest = [...new Set([...failed].sort((a, b) => b.time - a.time).map((e) => e.record!.id))].slice(0, 10);
  return { records: ids.size, recovered: ids.size - outstanding.length, newest, atRisk: outstanding.reduce((n, id) => n + latest.get(id)!.record!.value, 0) };
}

describe('3 records per run fail validation for 45 minutes, then the tenant fixes them', () => {
  let rx: Receivers;
  let s: Scenario;
  const ticks: number[] = [];
  /** A loopback stand-in for Slack's Web API: answers as Slack documents, HTTP 200 with `ok`, the posted message's ts. */
  let slack: Awaited<ReturnType<typeof startReceiver>>;
  const SLACK_TS = '1796387700.000100';

  before(async () => {
    rx = await startReceivers(['globex']);
    slack = await startReceiver((req) => {
      if (req.headers.authorization !== 'Bearer xoxb-globex-test-token') return { status: 200, body: '{"ok":false,"error":"invalid_auth"}' };
      if (req.path === '/api/chat.postMessage') return { status: 200, body: JSON.stringify({ ok: true, channel: 'C0GLOBEX1', ts: SLACK_TS, message: { text: req.json.text } }) };
      if (req.path === '/api/chat.update') {
        const known = req.json.channel === 'C0GLOBEX1' && req.json.ts === SLACK_TS;
        return { status: 200, body: JSON.stringify(known ? { ok: true, channel: 'C0GLOBEX1', ts: SLACK_TS, text: req.json.text } : { ok: false, error: 'message_not_found' }) };
      }
      return { status: 404, body: '{"ok":false,"error":"unknown_method"}' };
    });
    s = await startScenario(rx, new ManualClock(base - 60 * MIN));
    await s.subscribe('globex', {
      emails: ['it@globex.example'],
      webhooks: [{ url: `${rx.tenant.get('globex')!.url}/hook`, secret: SECRET }],
      targets: [{ channel: 'slack-app', token: 'xoxb-globex-test-token', slack_channel: 'C0GLOBEX1', api_url: `${slack.url}/api` }],
    });
    const history: Record<string, unknown>[] = [];
    for (let at = base - 60 * MIN; at < base; at += 5 * MIN) history.push({ type: 'run.succeeded', time: at, ...flow, run: `before-${at}` });
    await s.post(history);
    await s.tick(base - MIN);
    for (let at = base; at <= base + 70 * MIN; at += 30_000) {
      if ((at - base) % RUN_EVERY === 0) {
        s.clock.set(at);
        const events = runAt(at);
        sent.push(...events.map((e) => e as Sent));
        await s.post(events);
      }
      await s.tick(at);
      ticks.push(at);
    }
    await waitFor(() => rx.smtp.mails.filter((m) => m.envelopeTo.includes('it@globex.example')).length >= 5, 15_000, "the tenant's mails");
  });
  after(async () => {
    await s.stop();
    await rx.close();
    await slack.close();
  });

  /** The messages the policy owes, recomputed: first at the first failure, an update when the group doubled and group_interval passed, the resolve 10 minutes after the fix. */
  function expected(): { type: string; at: number }[] {
    const out = [{ type: 'alert.firing', at: base }];
    let last = base;
    let told = recount(base).records;
    for (const t of ticks.filter((x) => x > base && x < FIXED_AT)) {
      const size = recount(t).records;
      if (t >= last + GROUP_INTERVAL && size >= 2 * told) {
        out.push({ type: 'alert.updated', at: t });
        last = t;
        told = size;
      }
    }
    out.push({ type: 'alert.resolved', at: FIXED_AT + RESOLVE_AFTER });
    return out;
  }

  test('the tenant webhook: one firing, updates when the group doubled, one resolved, in order', () => {
    const hooks = webhooks(rx.tenant.get('globex')!);
    const want = expected();
    assert.ok(want.filter((m) => m.type === 'alert.updated').length >= 2, 'the scenario does grow');
    assert.deepEqual(
      hooks.map((h) => ({ type: h.json.type, at: Date.parse(h.json.created_at) })),
      want,
    );
    assert.ok(hooks.every((h) => h.json.alerts.length === 1 && h.json.alert.rule === 'data-failures'), 'one grouped alert throughout');
  });

  test('every message carries figures equal to a recount of the raw events: records, the newest ids, the full list link, value at risk', () => {
    for (const h of webhooks(rx.tenant.get('globex')!).filter((x) => x.json.type !== 'alert.resolved')) {
      const at = Date.parse(h.json.created_at);
      const want = recount(at);
      const a = h.json.alert;
      assert.equal(a.records_affected, want.records, `records at ${h.json.type} ${at - base}`);
      assert.equal(a.records_recovered, want.recovered);
      assert.deepEqual(a.records.map((r: { id: string }) => r.id), want.newest, 'the newest 10 failed records, newest first');
      assert.ok(a.records.every((r: { message: string }) => r.message.includes('postal_code is required')));
      assert.deepEqual(a.value_at_risk, { amount: want.atRisk, currency: 'USD' });
      assert.match(a.records_url, /^https:\/\/status\.vendor\.example\/status\/globex\?access=[^#]+#failing$/);
      assert.match(a.summary, new RegExp(`${want.records} records failed .* because of their data`), 'names the cause with the current count');
      assert.match(a.action, /^Fix these records in your system/, 'says what the reader can do');
    }
  });

  test('the resolve states what happened: how long, records affected, how many synced since', () => {
    const resolved = webhooks(rx.tenant.get('globex')!, 'alert.resolved');
    assert.equal(resolved.length, 1);
    const a = resolved[0].json.alert;
    const want = recount(FIXED_AT);
    assert.equal(want.records, 90);
    assert.equal(a.records_affected, want.records);
    assert.equal(a.records_recovered, want.recovered);
    assert.equal(want.recovered, 60);
    assert.equal(a.duration, '55 minutes');
    assert.equal(a.resolved_at, new Date(FIXED_AT + RESOLVE_AFTER).toISOString());
  });

  test('the tenant email: the same sequence, subjects saying firing, update and resolved, bodies naming the cause and what to do', () => {
    const mails = rx.smtp.mails.filter((m) => m.envelopeTo.includes('it@globex.example'));
    const want = expected();
    assert.equal(mails.length, want.length);
    mails.forEach((m, i) => {
      const kind = want[i].type;
      const subject = m.subject ?? '';
      if (kind === 'alert.firing') assert.match(subject, /^\[syncwatch\] globex: salesforce · orders\.export: 3 records failed/);
      if (kind === 'alert.updated') assert.match(subject, /^\[syncwatch\] Update: globex: /);
      if (kind === 'alert.resolved') assert.match(subject, /^\[syncwatch\] Resolved: globex: /);
      if (kind !== 'alert.resolved') {
        assert.match(m.text ?? '', /What you can do: Fix these records/);
        assert.match(m.text ?? '', /All records that still fail: https:\/\/status\.vendor\.example\/status\/globex\?access=.*#failing/);
      } else {
        assert.match(m.text ?? '', /\(55 minutes\)\. Records affected: 90; recovered \(synced since\): 60\./);
      }
    });
  });

  test('Slack (bot token): one message, posted once and then edited in place for every update and the resolve', () => {
    const want = expected();
    const hooks = webhooks(rx.tenant.get('globex')!);
    assert.deepEqual(
      slack.requests.map((r) => r.path),
      ['/api/chat.postMessage', ...want.slice(1).map(() => '/api/chat.update')],
    );
    assert.equal(slack.requests[0].json.channel, 'C0GLOBEX1');
    for (const r of slack.requests.slice(1)) assert.deepEqual([r.json.channel, r.json.ts], ['C0GLOBEX1', SLACK_TS], 'edits the first message, by the channel id and ts Slack answered');
    // Each edit carries what the matching webhook message says, current figures included.
    slack.requests.forEach((r, i) => {
      assert.equal(r.json.text, hooks[i].json.summary);
      const body = JSON.stringify(r.json.blocks);
      assert.ok(body.includes(`Records failed: ${hooks[i].json.alert.records_affected}`), `figures of message ${i}`);
    });
    assert.match(slack.requests.at(-1)!.json.text, /^Resolved: /);
    assert.ok(JSON.stringify(slack.requests.at(-1)!.json.blocks).includes('Lasted 55 minutes.'));
  });

  test('operators: nothing — data failures are the tenant\'s to fix', () => {
    assert.equal(webhooks(rx.ops).length, 0);
    assert.equal(rx.smtp.mails.filter((m) => m.envelopeTo.includes('ops@vendor.example')).length, 0);
    assert.equal(datadogEvents(rx.datadog).length, 0);
  });
});
