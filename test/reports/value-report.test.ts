/**
 * The value report's figures are /v1/value's (and /v1/health's run counts) for the same
 * tenant and period, over a seeded multi-tenant, multi-currency workload; incidents come
 * from the alert history with their durations; the API validates its parameters and keeps
 * tenants apart.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { randomWorkload } from '../support/random-workload.js';
import { startTestService, type TestService } from '../support/service.js';
import { ACME_KEY, ADMIN, DAY, HOUR, INGEST, postEvents, seedIncident, VALUE_CONFIG } from './support.js';

const END = Date.UTC(2026, 10, 20, 12);
const workload = randomWorkload(11, { now: END, days: 60, runsPerFlow: 30 });
const TENANTS = [...new Set(workload.events.map((e) => e.tenant))].sort();

let svc: TestService;
let dir: string;

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'syncwatch-report-'));
  writeFileSync(path.join(dir, 'config.yaml'), `${VALUE_CONFIG}\nkeys:\n  - { key: ${ACME_KEY}, role: tenant, tenants: [acme] }\n`);
  svc = await startTestService({ SYNCWATCH_ADMIN_KEY: ADMIN, SYNCWATCH_INGEST_KEY: INGEST, SYNCWATCH_CONFIG: path.join(dir, 'config.yaml') });
  for (const batch of workload.batches) await postEvents(svc, batch);
  // acme: one incident inside October, one from late September into October, one still open; globex: one of its own.
  const oct = Date.UTC(2026, 9, 1);
  await seedIncident(svc.driver, { tenant: 'acme', integration: 'salesforce', fingerprint: 'fp-a1', firedAt: oct + 3 * DAY, resolvedAt: oct + 3 * DAY + 90 * 60_000 });
  await seedIncident(svc.driver, { tenant: 'acme', integration: 'quickbooks', flow: 'invoices.sync', fingerprint: 'fp-a2', firedAt: oct - 2 * HOUR, resolvedAt: oct + HOUR, audience: ['operator'], category: 'infra', summary: 'runner out of memory (internal)' });
  await seedIncident(svc.driver, { tenant: 'acme', integration: 'salesforce', fingerprint: 'fp-a3', firedAt: oct + 30 * DAY, resolvedAt: null });
  await seedIncident(svc.driver, { tenant: 'acme', integration: 'salesforce', fingerprint: 'fp-a4', firedAt: oct - 20 * DAY, resolvedAt: oct - 20 * DAY + 30 * 60_000 });
  await seedIncident(svc.driver, { tenant: 'acme', integration: 'hubspot', fingerprint: 'fp-a5', firedAt: oct + 5 * DAY, resolvedAt: oct + 6 * DAY, category: 'success', oneShot: true });
  await seedIncident(svc.driver, { tenant: 'globex', integration: 'salesforce', fingerprint: 'fp-g1', firedAt: oct + 4 * DAY, resolvedAt: oct + 4 * DAY + HOUR, summary: 'globex only' });
});
after(async () => {
  await svc?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const get = (url: string, query: Record<string, string>, key = ADMIN) => request(svc.server).get(url).query(query).set('Authorization', `Bearer ${key}`);

async function json(url: string, query: Record<string, string>) {
  const res = await get(url, query);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body;
}

/** The value figures of a /v1/value answer or group, as the report carries them. */
const valueFigures = (v: any) => ({
  records_moved: v.records_moved,
  records_failed: v.records_failed,
  records_skipped: v.records_skipped,
  money_moved: v.money_moved,
  time_saved: v.time_saved,
  value_at_risk: v.value_at_risk,
});
const reportFigures = (r: any, which: 'current' | 'previous') => ({
  records_moved: r.records_moved[which],
  records_failed: r.records_failed[which],
  records_skipped: r.records_skipped[which],
  money_moved: r.money_moved[which],
  time_saved: r.time_saved[which],
  value_at_risk: r.value_at_risk[which],
});
const ZERO = { records_moved: 0, records_failed: 0, records_skipped: 0, money_moved: { total: 0, currency: 'USD', by_currency: {}, unconverted_currencies: [] }, time_saved: { minutes: 0, hours: 0, value: 0, currency: 'USD' }, value_at_risk: { total: 0, currency: 'USD', by_currency: {}, unconverted_currencies: [], records: 0 } };

const runsOf = (health: any[], integration?: string) =>
  health
    .filter((c) => integration === undefined || c.integration === integration)
    .reduce((acc, c) => ({ total: acc.total + c.runs.total, succeeded: acc.succeeded + c.runs.succeeded, partial: acc.partial + c.runs.partial, failed: acc.failed + c.runs.failed }), { total: 0, succeeded: 0, partial: 0, failed: 0 });

const PERIODS: Record<string, Record<string, string>> = {
  'a month after a shorter one (October 2026)': { period: '2026-10' },
  'an ISO week (2026-W46)': { period: '2026-W46' },
  'a range cutting through days': { from: '2026-10-05T05:30:00Z', to: '2026-10-19T17:45:00Z' },
};

describe('value report figures', () => {
  assert.ok(TENANTS.length >= 3, 'the workload has several tenants');
  for (const [name, query] of Object.entries(PERIODS)) {
    test(`equal /v1/value and /v1/health for every tenant, in total and per integration: ${name}`, async () => {
      for (const tenant of TENANTS) {
        const report = await json('/v1/reports/value', { tenant, ...query });
        const { from, to } = report.period;
        const value = await json('/v1/value', { tenant, from, to });
        const prev = await json('/v1/value', { tenant, from: report.previous.from, to: report.previous.to });
        assert.deepEqual(reportFigures(report.totals, 'current'), valueFigures(value), `${tenant}: totals`);
        assert.deepEqual(reportFigures(report.totals, 'previous'), valueFigures(prev), `${tenant}: previous totals`);
        if (query.period !== '2026-10') assert.deepEqual(valueFigures(value.previous), valueFigures(prev), 'equal-length periods: /v1/value previous is the same period');

        const health = (await json('/v1/health', { tenant, from, to })).connections;
        assert.deepEqual(report.totals.runs.current, runsOf(health), `${tenant}: runs`);
        const rate = report.totals.runs.current.total ? Math.round((report.totals.runs.current.succeeded / report.totals.runs.current.total) * 10_000) / 10_000 : null;
        assert.equal(report.totals.success_rate.current, rate);

        const names = new Set([...value.groups, ...prev.groups].map((g: any) => g.integration));
        for (const name of names) {
          const row = report.integrations.find((i: any) => i.integration === name);
          assert.ok(row, `${tenant}: a row for ${name}`);
          const cur = value.groups.find((g: any) => g.integration === name);
          const before = prev.groups.find((g: any) => g.integration === name);
          assert.deepEqual(reportFigures(row, 'current'), cur ? valueFigures(cur) : ZERO, `${tenant}/${name}: current`);
          assert.deepEqual(reportFigures(row, 'previous'), before ? valueFigures(before) : ZERO, `${tenant}/${name}: previous`);
          assert.deepEqual(row.runs.current, runsOf(health, name), `${tenant}/${name}: runs`);
        }
        for (const row of report.integrations) if (!names.has(row.integration)) assert.deepEqual(reportFigures(row, 'current'), ZERO);
        assert.equal(report.daily.reduce((n: number, d: any) => n + d.records_moved, 0), value.records_moved, 'the daily series adds up');
        assert.equal(report.empty, false);
      }
    });
  }

  test('a month is compared with the calendar month before it, whatever its length', async () => {
    const report = await json('/v1/reports/value', { tenant: 'acme', period: '2026-10' });
    assert.deepEqual([report.period.from, report.period.to], ['2026-10-01T00:00:00.000Z', '2026-11-01T00:00:00.000Z']);
    assert.deepEqual([report.previous.from, report.previous.to], ['2026-09-01T00:00:00.000Z', '2026-10-01T00:00:00.000Z']);
    assert.equal(report.period.name, 'October 2026');
    assert.equal(report.daily.length, 31);
    const c = report.totals.records_moved;
    assert.equal(c.change, c.current - c.previous);
    assert.match(report.summary, /^Your integrations moved [\d,]+ records worth \$[\d,.]+ \+ £[\d,.]+ in October 2026/, 'GBP has no rate here: it stands beside the dollars');
  });
});

describe('incidents', () => {
  test('alerts that fired in the period, with how long they lasted; operator-only ones without their internal wording', async () => {
    const report = await json('/v1/reports/value', { tenant: 'acme', period: '2026-10' });
    const byId = new Map(report.incidents.map((i: any) => [i.fingerprint, i]));
    assert.deepEqual([...byId.keys()], ['fp-a2', 'fp-a1', 'fp-a3'], 'in order of start; the one-shot notice and September-only one are not incidents');
    const a1: any = byId.get('fp-a1');
    assert.equal(a1.duration_minutes, 90);
    assert.equal(a1.ongoing, false);
    assert.deepEqual(a1.records, [{ id: 'ORD-1001', message: 'email is required' }]);
    const a2: any = byId.get('fp-a2');
    assert.equal(a2.duration_minutes, 180, 'the whole incident');
    assert.equal(a2.minutes_in_period, 60, 'the part inside October');
    assert.ok(!a2.summary.includes('internal'), 'an operator-only alert is described neutrally');
    assert.deepEqual(a2.records, []);
    const a3: any = byId.get('fp-a3');
    assert.equal(a3.ongoing, true);
    assert.equal(a3.ended_at, null);
    assert.equal(a3.minutes_in_period, 24 * 60);
    assert.deepEqual(report.totals.incidents.current, { count: 3, minutes: 90 + 60 + 1440, longest_minutes: 1440 });
    assert.deepEqual(report.totals.incidents.previous, { count: 2, minutes: 30 + 120, longest_minutes: 120 }, "fp-a2 was still open when September ended");
    assert.equal(report.integrations.find((i: any) => i.integration === 'salesforce').incidents.current.count, 2);
    assert.ok(!JSON.stringify(report).includes('globex only'), "another tenant's incident never appears");
  });
});

describe('empty periods', () => {
  test('a period with no activity says so plainly', async () => {
    const report = await json('/v1/reports/value', { tenant: 'acme', period: '2025-03' });
    assert.equal(report.empty, true);
    assert.match(report.summary, /^There was no activity for acme in March 2025: no runs, and no records moved\./);
    assert.equal(report.totals.records_moved.current, 0);
    assert.deepEqual(report.integrations, []);
    const html = await get('/v1/reports/value', { tenant: 'acme', period: '2025-03', format: 'html' });
    assert.equal(html.status, 200);
    assert.match(html.text, /There was no activity for acme in March 2025/);
    assert.ok(!html.text.includes('<svg'), 'no empty charts');
  });
});

describe('GET /v1/reports/value', () => {
  test('bad parameters are a 400 that names them', async () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ period: '2026-13' }, /^period: /],
      [{ period: '2025-W53' }, /^period: 2025 has no ISO week 53/],
      [{ period: 'last-month' }, /^period: /],
      [{ from: 'yesterday' }, /^from: /],
      [{ from: '2026-10-10', to: '2026-10-01' }, /^from: must be before to/],
      [{ to: '2026-10-10' }, /^from: is required/],
      [{ period: '2026-10', from: '2026-10-01' }, /^period: give either/],
      [{ from: '2024-01-01', to: '2026-01-01' }, /^to: a report covers at most 400 days/],
      [{ period: '2026-10', format: 'pdf' }, /^format: /],
    ];
    for (const [query, message] of cases) {
      const res = await get('/v1/reports/value', { tenant: 'acme', ...query });
      assert.equal(res.status, 400, JSON.stringify(query));
      assert.equal(res.body.error.code, 'invalid_parameter');
      assert.match(res.body.error.message, message);
    }
    const missing = await get('/v1/reports/value', { period: '2026-10' });
    assert.equal(missing.status, 400);
    assert.match(missing.body.error.message, /^tenant: /);
  });

  test("a tenant key reads its own tenant's report and gets 403 for another's; no key is 401", async () => {
    const own = await get('/v1/reports/value', { tenant: 'acme', period: '2026-10' }, ACME_KEY);
    assert.equal(own.status, 200);
    assert.equal(own.body.tenant, 'acme');
    const other = await get('/v1/reports/value', { tenant: 'globex', period: '2026-10' }, ACME_KEY);
    assert.equal(other.status, 403);
    assert.equal(other.body.error.code, 'forbidden');
    assert.ok(!JSON.stringify(other.body).includes('globex only'));
    const anonymous = await request(svc.server).get('/v1/reports/value').query({ tenant: 'acme' });
    assert.equal(anonymous.status, 401);
  });

  test('HTML with Accept: text/html or format=html: the email body, figures included; JSON by default', async () => {
    const model = await json('/v1/reports/value', { tenant: 'acme', period: '2026-10' });
    const byAccept = await get('/v1/reports/value', { tenant: 'acme', period: '2026-10' }).set('Accept', 'text/html');
    const byParam = await get('/v1/reports/value', { tenant: 'acme', period: '2026-10', format: 'html' });
    for (const res of [byAccept, byParam]) {
      assert.equal(res.status, 200);
      assert.match(String(res.headers['content-type']), /^text\/html/);
      assert.match(res.text, /<svg /);
      assert.ok(res.text.includes(new Intl.NumberFormat('en-US').format(model.totals.records_moved.current)), 'records moved');
      assert.ok(res.text.includes(new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' }).format(model.totals.money_moved.current.total)), 'money moved');
    }
    for (const res of [byAccept, byParam]) assert.ok(res.text.includes(model.summary), 'the summary, as the JSON model has it');
    const plain = await get('/v1/reports/value', { tenant: 'acme', period: '2026-10' });
    assert.match(String(plain.headers['content-type']), /^application\/json/);
  });
});

describe('the value_report subscription setting', () => {
  test('monthly on and weekly off unless set; a tenant key sets its own; bad values are a 400 naming the field', async () => {
    const put = (tenant: string, body: object, key = ADMIN) => request(svc.server).put(`/v1/tenants/${tenant}/subscriptions`).set('Authorization', `Bearer ${key}`).send(body);
    const fresh = await put('acme', { emails: ['it@acme.example'] }, ACME_KEY);
    assert.equal(fresh.status, 200);
    assert.deepEqual(fresh.body.value_report, { weekly: false, monthly: true });
    const weekly = await put('acme', { emails: ['it@acme.example'], value_report: { weekly: true } }, ACME_KEY);
    assert.deepEqual(weekly.body.value_report, { weekly: true, monthly: true });
    const read = await request(svc.server).get('/v1/tenants/acme/subscriptions').set('Authorization', `Bearer ${ACME_KEY}`);
    assert.deepEqual(read.body.value_report, { weekly: true, monthly: true }, 'GET returns it, so a client can PUT back what it read');
    for (const [body, field] of [
      [{ value_report: { weekly: 'yes' } }, /^value_report\.weekly: /],
      [{ value_report: { daily: true } }, /value_report/],
      [{ value_report: true }, /^value_report: /],
    ] as const) {
      const res = await put('acme', body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.match(res.body.error.message, field);
    }
    assert.equal((await put('globex', { value_report: { weekly: true } }, ACME_KEY)).status, 403);
  });
});

describe('syncwatch report (the command function)', () => {
  test('prints the JSON model of a period, equal to the API; text without markup; a bad period exits 2', async () => {
    const { runReportCommand } = await import('../../src/reports/cli.js');
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (t: string) => void out.push(t), err: (t: string) => void err.push(t) };
    assert.equal(await runReportCommand(svc.config, { tenant: 'acme', period: '2026-10' }, io, { driver: svc.driver }), 0);
    const printed = JSON.parse(out.join(''));
    const api = await json('/v1/reports/value', { tenant: 'acme', period: '2026-10' });
    assert.deepEqual({ ...printed, generated_at: null }, { ...api, generated_at: null });

    out.length = 0;
    assert.equal(await runReportCommand(svc.config, { tenant: 'acme', period: '2026-10', format: 'text' }, io, { driver: svc.driver }), 0);
    assert.match(out.join(''), /^Value report, October 2026 — acme/);
    assert.ok(!/<(svg|table|a |p |div)/.test(out.join('')), 'no HTML in the text');

    assert.equal(await runReportCommand(svc.config, { tenant: 'acme', period: '2026-10-01' }, io, { driver: svc.driver }), 2);
    assert.match(err.join(''), /--period: must be a month/);
  });
});
