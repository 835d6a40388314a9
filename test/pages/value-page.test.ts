import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import request from 'supertest';
import { launchBrowser, saveScreenshot, type TestBrowser, horizontalOverflow } from '../support/browser.js';
import { randomWorkload } from '../support/random-workload.js';
import { startTestService, type TestService } from '../support/service.js';
import { ACME_KEY, ADMIN, DAY, INGEST, postEvents, seedIncident, VALUE_CONFIG } from '../reports/support.js';

// The value report page in real headless Chromium, opened the way a customer opens it: from
// the signed link of a report email. What it shows must be what the JSON API says.

let svc: TestService;
let browser: TestBrowser;
let dir: string;
let api: any;

const number = (n: number) => new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 }).format(n);
const usd = (n: number) => new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' }).format(n);
/** A money figure as shown: the USD total, then each amount without a rate in its own currency. */
const shown = (m: { total: number; by_currency: Record<string, number>; unconverted_currencies: string[] }) =>
  [usd(m.total), ...m.unconverted_currencies.map((c) => new Intl.NumberFormat('en-US', { style: 'currency', currency: c }).format(m.by_currency[c]))].join(' + ');
const percent = (r: number) => `${new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 }).format(r * 100)}%`;

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'syncwatch-value-page-'));
  writeFileSync(path.join(dir, 'config.yaml'), `${VALUE_CONFIG}\nkeys:\n  - { key: ${ACME_KEY}, role: tenant, tenants: [acme] }\n`);
  svc = await startTestService({ SYNCWATCH_ADMIN_KEY: ADMIN, SYNCWATCH_INGEST_KEY: INGEST, SYNCWATCH_CONFIG: path.join(dir, 'config.yaml') });
  const workload = randomWorkload(5, { now: Date.UTC(2026, 10, 10), days: 50, runsPerFlow: 20 });
  for (const batch of workload.batches) await postEvents(svc, batch);
  const oct = Date.UTC(2026, 9, 1);
  await seedIncident(svc.driver, { tenant: 'acme', integration: 'salesforce', fingerprint: 'fp-page', firedAt: oct + 9 * DAY, resolvedAt: oct + 9 * DAY + 2 * 3_600_000 });
  api = (await request(svc.server).get('/v1/reports/value').query({ tenant: 'acme', period: '2026-10' }).set('Authorization', `Bearer ${ACME_KEY}`)).body;
  assert.equal(api.tenant, 'acme');
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await svc?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Opens October's report from the signed link an email carries. */
async function openFromEmail(options: { phone?: boolean } = {}): Promise<Page> {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  await page.goto(svc.links.valueReport('acme', { period: '2026-10' }).replace(svc.config.publicUrl, svc.url));
  return page;
}

const figure = (page: Page, key: string) => page.locator(`[data-figure="${key}"] .value`).innerText();

describe('value report page', () => {
  test('shows the figures the JSON API gives, the charts, the integrations and the incident', async () => {
    const page = await openFromEmail();
    const url = new URL(page.url());
    assert.equal(url.pathname, '/reports/acme');
    assert.equal(url.searchParams.get('access'), null, 'the signed token left the address bar');
    assert.equal(await page.locator('h1').innerText(), 'Value report, October 2026');

    const t = api.totals;
    assert.equal(await figure(page, 'records_moved'), number(t.records_moved.current));
    assert.equal(await figure(page, 'money_moved'), shown(t.money_moved.current));
    assert.equal(await figure(page, 'time_saved'), `${number(t.time_saved.current.hours)} hours`);
    assert.equal(await figure(page, 'success_rate'), percent(t.success_rate.current));
    assert.equal(await figure(page, 'value_at_risk'), shown(t.value_at_risk.current));
    assert.equal(await figure(page, 'incidents'), '1');
    assert.equal(await page.locator('[data-summary]').innerText(), api.summary);

    const rows = page.locator('[data-table=integrations] tbody tr');
    assert.equal(await rows.count(), api.integrations.length);
    for (const i of api.integrations) {
      const row = page.locator(`tr[data-integration="${i.integration}"]`);
      assert.match(await row.locator('[data-col=records]').innerText(), new RegExp(`^${number(i.records_moved.current)}\\b`));
      assert.match(await row.locator('[data-col=money]').innerText(), new RegExp(`^\\${usd(i.money_moved.current.total)}`));
    }
    assert.match(await page.locator('[data-table=incidents]').innerText(), /2 hours/);

    assert.equal(await page.locator('[data-chart=integrations]').count(), 0, 'no chart of two bars: the table says it');
    for (const chart of ['records', 'money']) {
      const svg = page.locator(`[data-chart=${chart}] svg`);
      assert.equal(await svg.count(), 1, `the ${chart} chart`);
      const box = await svg.boundingBox();
      assert.ok(box && box.width > 100 && box.height > 50, `the ${chart} chart is drawn`);
    }
    assert.equal(await page.locator('[data-chart=records] svg rect').count(), 31, 'one bar per day of October');
    await saveScreenshot(page, 'value-report');

    await page.click('a[data-nav=previous]');
    await page.waitForURL(/period=2026-09/);
    assert.equal(await page.locator('h1').innerText(), 'Value report, September 2026');
    await page.context().close();
  });

  test('works at phone width: nothing wider than the screen, figures readable', async () => {
    const page = await openFromEmail({ phone: true });
    const overflow = await horizontalOverflow(page);
    assert.ok(overflow <= 0, `the page fits (${overflow}px wider than the screen)`);
    assert.ok(await page.locator('[data-figure=records_moved] .value').isVisible());
    assert.equal(await figure(page, 'records_moved'), number(api.totals.records_moved.current));
    // The chart keeps a readable size and scrolls sideways inside its card, which fits the screen.
    const card = await page.locator('[data-chart=records]').boundingBox();
    assert.ok(card && card.x + card.width <= 390, 'the chart card fits the screen');
    const scroll = await page.locator('[data-chart=records]').evaluate((el) => ({ overflow: getComputedStyle(el).overflowX, wider: el.scrollWidth > el.clientWidth }));
    assert.deepEqual(scroll, { overflow: 'auto', wider: true }, 'the chart scrolls inside its card');
    await page.context().close();
  });

  test("a tenant's link does not open another tenant's report", async () => {
    const page = await openFromEmail();
    const res = await page.goto(`${svc.url}/reports/globex?period=2026-10`);
    assert.equal(res?.status(), 403);
    assert.match(await page.locator('h1').innerText(), /Not available/);
    await page.context().close();
  });
});
