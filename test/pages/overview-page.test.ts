import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { feedWorkload, generateWorkload } from '../../src/demo/index.js';
import { formatTime } from '../../src/format/index.js';
import { launchBrowser, saveScreenshot, signIn, type TestBrowser, horizontalOverflow } from '../support/browser.js';
import { ADMIN, INGEST, SECRET, startNotifyService, startReceiver, type NotifyService } from '../notify/support.js';

// The operator overview (/) in real headless Chromium: first over an empty store (empty
// states), then over a week of the demo workload with an alert that fires through the
// real engine and a notification the receiver refuses (a dead letter).

const TENANT_KEY = 'tenant-acme-key-0123456789abcdef';
const CATEGORY_LABELS: Record<string, string> = { infra: 'Infrastructure', endpoint: 'Endpoint', data: 'Data' };
const RULES = `
rules:
  - name: runs-keep-failing
    kind: consecutive_failed_runs
    severity: critical
    runs: 3
    audience: operator
    resolve_after: 0
`;

let dir: string;
let svc: NotifyService & { db: { drop(): Promise<void> } };
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let browser: TestBrowser;
let admin: Page;

async function api(pathAndQuery: string): Promise<any> {
  const res = await fetch(`${svc.url}${pathAndQuery}`, { headers: { authorization: `Bearer ${ADMIN}` } });
  assert.equal(res.status, 200, `${pathAndQuery}: ${await res.clone().text()}`);
  return res.json();
}

async function open(page: Page, pathAndQuery: string): Promise<void> {
  const res = await page.goto(`${svc.url}${pathAndQuery}`);
  assert.equal(res?.status(), 200, `${pathAndQuery} answers 200`);
}

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'syncwatch-overview-'));
  // The ops webhook refuses everything with a 400: never retried, so a dead letter at once.
  receiver = await startReceiver(() => ({ status: 400, body: '{"error":"no such hook"}' }));
  mkdirSync(path.join(dir, 'rules'));
  writeFileSync(path.join(dir, 'rules', 'rules.yaml'), RULES);
  writeFileSync(
    path.join(dir, 'syncwatch.yaml'),
    [
      'keys:',
      `  - { key: ${TENANT_KEY}, role: tenant, tenants: [acme] }`,
      'alerts:',
      '  receivers:',
      '    ops:',
      '      webhooks:',
      `        - { url: "${receiver.url}/ops", secret: "${SECRET}" }`,
      '  routes:',
      '    - { match: { audience: operator }, receivers: [ops], group_wait: 0 }',
      '',
    ].join('\n'),
  );
  svc = await startNotifyService(
    { SYNCWATCH_CONFIG: path.join(dir, 'syncwatch.yaml'), SYNCWATCH_ALERT_RULES: path.join(dir, 'rules'), SYNCWATCH_WEBHOOK_ALLOW: '127.0.0.1' },
    { notify: { dispatchEveryMs: 0, reportMetrics: false }, alerts: { schedule: false, lease: { settleMs: 0 } } },
    path.join(dir, 'data'),
  );
  browser = await launchBrowser();
  const context = await browser.newContext();
  admin = await context.newPage();
  await signIn(admin, svc.url, ADMIN);
});

after(async () => {
  await browser?.close();
  await svc?.stop();
  await receiver?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('operator overview over an empty store', () => {
  test('renders every section with its empty state and all status counts at zero', async () => {
    await open(admin, '/');
    assert.equal(await admin.locator('h1').textContent(), 'Operator overview');
    for (const id of ['overview-empty', 'failures-empty', 'alerts-empty', 'notifications-empty', 'dead-letters-empty']) {
      assert.ok(await admin.locator(`#${id}`).isVisible(), `#${id} is shown`);
    }
    const counts = await admin.locator('#status-counts .figure .value').allTextContents();
    assert.deepEqual(counts, ['0', '0', '0', '0', '0', '0']);
    assert.equal(await admin.locator('#failures-chart svg').count(), 0, 'no chart without failures');
    // No SMTP_URL and no DD_API_KEY here: the page says so instead of only "nothing was sent".
    assert.match(await admin.locator('#channels').innerText(), /email off \(set SMTP_URL\) · Datadog off \(set DD_API_KEY\)/);
    assert.match(await admin.locator('#notifications-empty').innerText(), /No email or Datadog channel is configured/);
  });
});

describe('operator overview over the demo workload', () => {
  before(async () => {
    const { events } = generateWorkload({ seed: 'overview-page-test', now: Date.now(), days: 7 });
    const fed = await feedWorkload(events, null, { url: svc.url, ingestKey: INGEST, settle: () => svc.ingest.batcher.flush() });
    assert.deepEqual(fed.rejected, []);
    // One evaluation through the real engine: the failing flows fire, the ops webhook refuses the message.
    await svc.alerting.engine!.tick();
    // The tick dispatches what was due when it began; the message it queued goes out on the next pass.
    await svc.alerting.engine!.dispatch();
    assert.ok(receiver.requests.length > 0, 'the ops webhook was called');
  });

  test('status counts equal those of GET /v1/health, and the table lists the failing connection worst first', async () => {
    const health = await api('/v1/health?window=24h');
    await open(admin, '/');
    const expected: Record<string, number> = {};
    for (const c of health.connections) expected[c.status] = (expected[c.status] ?? 0) + 1;
    const figures = admin.locator('#status-counts .figure');
    assert.equal(await figures.count(), 6);
    for (let i = 0; i < 6; i++) {
      const status = (await figures.nth(i).getAttribute('data-status'))!;
      assert.equal(Number((await figures.nth(i).locator('.value').textContent())!.replace(/,/g, '')), expected[status] ?? 0, `${status} count`);
    }

    const rows = admin.locator('#connections tbody tr');
    assert.equal(await rows.count(), health.connections.length, 'one row per connection');
    const failing = health.connections.filter((c: any) => c.status === 'failing');
    assert.ok(failing.length > 0, 'the demo has a failing connection');
    for (const c of failing) {
      const row = admin.locator(`#connections tr[data-tenant="${c.tenant}"][data-integration="${c.integration}"]`);
      assert.equal((await row.locator('.badge').textContent())?.trim(), 'Failing');
      assert.match((await row.textContent())!, new RegExp(c.reasons[0].message.slice(0, 30).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
      assert.equal(await row.locator(`a[href="/status/${c.tenant}"]`).count(), 1, 'links the tenant status page');
    }
    assert.equal(await rows.first().getAttribute('data-status'), 'failing', 'worst first');
    const lastSuccess = rows.first().locator('td').nth(4);
    assert.match((await lastSuccess.getAttribute('title'))!, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC$/, 'exact time in the title');
  });

  test('the failures chart draws bars for each category that failed, with titles naming it', async () => {
    const failures = await api('/v1/failures?window=24h');
    await open(admin, '/');
    const titles = await admin.locator('#failures-chart svg rect > title').allTextContents();
    assert.ok(titles.length > 0, 'the chart has bars');
    const summary = (await admin.locator('#failures-summary').textContent())!;
    for (const [category, label] of Object.entries(CATEGORY_LABELS)) {
      const bars = titles.filter((t) => t.includes(` ${label}: `));
      assert.equal(bars.length > 0, failures.by_category[category] > 0, `${label} bars drawn iff the API counts ${category} failures`);
      const drawn = bars.reduce((n, t) => n + Number(t.split(': ').at(-1)!.replace(/,/g, '')), 0);
      const stated = Number(new RegExp(`${label} ([\\d,]+)`).exec(summary)![1].replace(/,/g, ''));
      assert.equal(drawn, stated, `${label}: the bars add up to the total the page states`);
    }
    assert.ok(Object.values(failures.by_category as Record<string, number>).some((n) => n > 0), 'the demo has failures');
  });

  test('lists the firing alert, the notification sent for it and the dead letter', async () => {
    const alerts = await api('/v1/alerts?status=firing');
    await open(admin, '/');
    const firing = alerts.alerts.filter((a: any) => a.rule === 'runs-keep-failing');
    assert.ok(firing.length > 0, 'the engine fired the rule');
    const rows = admin.locator('#firing-alerts tbody tr[data-rule="runs-keep-failing"]');
    assert.equal(await rows.count(), firing.length);
    assert.equal((await rows.first().locator('.badge').textContent())?.trim(), 'critical');
    const first = firing[0];
    const row = admin.locator('#firing-alerts tbody tr', { hasText: first.summary });
    assert.equal(await row.count(), 1, 'the alert reads as its summary');
    assert.match((await row.textContent())!, new RegExp(`${first.tenant}.*${first.integration}`, 's'), 'with where it fires');

    const recent = admin.locator('#recent-notifications tbody tr');
    assert.ok((await recent.count()) > 0, 'recent notifications are listed');
    const dead = admin.locator('#dead-letters-table tbody tr');
    assert.ok((await dead.count()) > 0, 'dead letters are listed');
    const text = (await dead.first().textContent())!;
    assert.match(text, /Dead letter/);
    assert.match(text, /HTTP 400/);
    assert.match(text, /127\.0\.0\.1:\d+/, 'the webhook host, never its path');
    assert.doesNotMatch(await admin.content(), new RegExp(`${receiver.url.replace(/[.:/]/g, '\\$&')}/ops`), 'webhook paths are not shown');
    assert.doesNotMatch(await admin.content(), /whsec_/, 'secrets are not shown');
  });

  test('a firing alert is dated from the first failure of its problem, not from when the engine raised it', async () => {
    // Runs of one flow fail every 2 hours for the last 30 hours; before that a run succeeded,
    // and an older failure 3 days ago (a separate problem) must not count.
    const now = Date.now();
    const HOUR = 3_600_000;
    const scope = { tenant: 'since-co', integration: 'hubspot', flow: 'contacts' };
    const at = (ms: number) => new Date(ms).toISOString();
    const failedRun = (i: number, t: number) => ({ ...scope, id: `since-f${i}`, type: 'run.failed', run: `since-r${i}`, time: at(t), error: { category: 'endpoint', code: 'unavailable', message: 'HTTP 503' } });
    const firstFailure = now - 30 * HOUR;
    const events = [
      failedRun(0, now - 72 * HOUR),
      { ...scope, id: 'since-ok', type: 'run.succeeded', run: 'since-ok', time: at(firstFailure - HOUR) },
      ...Array.from({ length: 16 }, (_, i) => failedRun(i + 1, firstFailure + i * 2 * HOUR)),
    ];
    const res = await fetch(`${svc.url}/v1/events`, { method: 'POST', headers: { authorization: `Bearer ${INGEST}`, 'content-type': 'application/json' }, body: JSON.stringify(events) });
    assert.equal(res.status, 202, await res.text());
    await svc.ingest.batcher.flush();
    await svc.alerting.engine!.tick();
    const firing = (await api('/v1/alerts?status=firing')).alerts.filter((a: any) => a.tenant === 'since-co');
    assert.equal(firing.length, 1, 'the failing runs fire the rule');
    assert.ok(Date.parse(firing[0].fired_at) > now - 60_000, 'the engine raised it just now');

    await open(admin, '/');
    const cell = admin.locator('#firing-alerts tbody tr', { hasText: 'since-co' }).locator('td').last();
    assert.equal(await cell.getAttribute('title'), formatTime(firstFailure), 'dated from the first failure after the last successful run');
    assert.equal((await cell.innerText()).trim(), '1 day ago');
  });

  test('lists the most frequent unclassified failures as GET /v1/failures/unknown ranks them', async () => {
    const time = new Date(Date.now() - 60_000).toISOString();
    const failed = (id: string, message: string) => ({ id, type: 'record.failed', time, tenant: 'acme', integration: 'netsuite', flow: 'invoices', record: { id }, error: { message } });
    const events = [failed('unk-1', 'ledger frozen for period close'), failed('unk-2', 'ledger frozen for period close'), failed('unk-3', 'gremlins in the sync')];
    const res = await fetch(`${svc.url}/v1/events`, { method: 'POST', headers: { authorization: `Bearer ${INGEST}`, 'content-type': 'application/json' }, body: JSON.stringify(events) });
    assert.equal(res.status, 202);
    let unknown: any[] = [];
    for (let i = 0; i < 100 && !unknown.some((u) => u.message === 'gremlins in the sync'); i++) {
      await new Promise((r) => setTimeout(r, 50));
      unknown = (await api('/v1/failures/unknown?window=24h&limit=5')).unknown;
    }
    const ledger = unknown.find((u) => u.message === 'ledger frozen for period close');
    assert.equal(ledger?.failures, 2);
    await open(admin, '/');
    const rows = admin.locator('#unknown-failures tbody tr');
    assert.equal(await rows.count(), unknown.length, 'one row per unclassified message, as many as the API lists');
    for (const [i, u] of unknown.entries()) {
      const cells = (await rows.nth(i).locator('td').allTextContents()).map((t) => t.trim());
      assert.deepEqual(cells.slice(0, 4), [u.integration, u.message, u.failures.toLocaleString('en-US'), String(u.tenants)], `row ${i}`);
    }
  });

  test('the 7-day window redraws the chart per day', async () => {
    await open(admin, '/?window=7d');
    assert.match((await admin.locator('#failures-chart svg > title').textContent())!, /per day/);
    const res = await admin.goto(`${svc.url}/?window=1y`);
    assert.equal(res?.status(), 400, 'an unknown window is a 400 page');
  });

  test('fits a phone: nothing but tables scrolls sideways', async () => {
    const context = await browser.newContext({ phone: true });
    const page = await context.newPage();
    await signIn(page, svc.url, ADMIN);
    await open(page, '/');
    const overflow = await horizontalOverflow(page);
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than the phone`);
    assert.ok(await page.locator('#failures-chart svg').isVisible());
    await context.close();
  });

  test('is for operators only: a tenant key gets the 403 page', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, svc.url, TENANT_KEY);
    const res = await page.goto(`${svc.url}/`);
    assert.equal(res?.status(), 403);
    assert.match((await page.locator('h1').textContent())!, /Not available with this access/);
    assert.equal(await page.locator('#status-counts').count(), 0, 'no overview content');
    await context.close();
  });

  test('desktop screenshot for the docs', async () => {
    await open(admin, '/');
    const file = await saveScreenshot(admin, 'overview');
    assert.match(file, /docs\/screenshots\/overview\.png$/);
  });
});
