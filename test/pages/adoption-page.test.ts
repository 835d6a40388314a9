import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { feedWorkload, generateWorkload } from '../../src/demo/index.js';
import { formatDuration } from '../../src/format/index.js';
import { launchBrowser, saveScreenshot, signIn, type TestBrowser, horizontalOverflow } from '../support/browser.js';
import { startTestService, type TestService } from '../support/service.js';

// The adoption dashboard (/adoption) in real headless Chromium: first over an empty store
// (its empty state), then over a week of the demo workload, checked against GET /v1/adoption.

const ADMIN = 'admin-key-0123456789abcdef';
const INGEST = 'ingest-key-0123456789abcdef';
const TENANT_KEY = 'tenant-acme-key-0123456789abcdef';
const DAY = 86_400_000;

let dir: string;
let svc: TestService;
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

/** The counts a funnel chart prints: its texts alternate step label and "count · share". */
async function funnelChartCounts(page: Page, integration: string): Promise<{ label: string; count: number }[]> {
  const texts = await page.locator(`section.funnel[data-integration="${integration}"] .chart svg text`).allTextContents();
  const steps: { label: string; count: number }[] = [];
  for (let i = 0; i + 1 < texts.length; i += 2) steps.push({ label: texts[i], count: Number(/^([\d,]+) ·/.exec(texts[i + 1])![1].replace(/,/g, '')) });
  return steps;
}

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'syncwatch-adoption-'));
  writeFileSync(path.join(dir, 'syncwatch.yaml'), `keys:\n  - { key: ${TENANT_KEY}, role: tenant, tenants: [acme] }\n`);
  svc = await startTestService({ SYNCWATCH_ADMIN_KEY: ADMIN, SYNCWATCH_INGEST_KEY: INGEST, SYNCWATCH_CONFIG: path.join(dir, 'syncwatch.yaml') });
  browser = await launchBrowser();
  admin = await (await browser.newContext()).newPage();
  await signIn(admin, svc.url, ADMIN);
});

after(async () => {
  await browser?.close();
  await svc?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('adoption dashboard over an empty store', () => {
  test('renders its empty state, with no chart and no error', async () => {
    await open(admin, '/adoption');
    assert.equal(await admin.locator('h1').textContent(), 'Adoption');
    assert.ok(await admin.locator('#adoption-empty').isVisible());
    assert.match((await admin.locator('#adoption-empty').textContent())!, /integration\.viewed/, 'says what fills it in');
    assert.equal(await admin.locator('svg').count(), 0);
  });
});

describe('adoption dashboard over the demo workload', () => {
  // A fixed period, so the page and the API read exactly the same range.
  const to = new Date(Math.floor(Date.now() / 60_000) * 60_000 + 60_000);
  const from = new Date(to.getTime() - 90 * DAY);
  const range = `from=${encodeURIComponent(from.toISOString())}&to=${encodeURIComponent(to.toISOString())}`;

  before(async () => {
    const { events } = generateWorkload({ seed: 'adoption-page-test', now: Date.now(), days: 7 });
    const fed = await feedWorkload(events, null, { url: svc.url, ingestKey: INGEST, settle: () => svc.ingest.batcher.flush() });
    assert.deepEqual(fed.rejected, []);
  });

  test('each integration has a funnel chart whose counts equal GET /v1/adoption', async () => {
    const adoption = await api(`/v1/adoption?${range}`);
    await open(admin, `/adoption?${range}`);
    assert.ok(adoption.integrations.length >= 4, 'the demo has four integrations');
    assert.equal(await admin.locator('section.funnel').count(), adoption.integrations.length);
    for (const a of adoption.integrations) {
      const drawn = await funnelChartCounts(admin, a.integration);
      assert.deepEqual(
        drawn.map((s) => s.count),
        a.funnel.map((s: any) => s.connections),
        `${a.integration}: the chart shows the API's counts`,
      );
      assert.equal(drawn[0].label, 'Viewed');
      assert.equal(drawn.at(-1)!.label, 'First successful sync');
      // The table beside it: drop-off and the median time from the previous step.
      const rows = admin.locator(`section.funnel[data-integration="${a.integration}"] .funnel-table tbody tr`);
      for (let i = 1; i < a.funnel.length; i++) {
        const cells = await rows.nth(i).locator('td').allTextContents();
        const lost = a.funnel[i - 1].connections - a.funnel[i].connections;
        assert.equal(Number(/^[\d,]+/.exec(cells[3])![0].replace(/,/g, '')), Math.max(0, lost), `${a.integration} ${a.funnel[i].step}: drop-off ${cells[3]}`);
        const median = a.funnel[i].median_seconds_from_previous;
        assert.equal(cells[4], median === null ? '–' : formatDuration(median * 1000));
      }
    }
    const timed = adoption.integrations.flatMap((a: any) => a.funnel).filter((s: any) => s.median_seconds_from_previous !== null);
    assert.ok(timed.length > 0, 'some step has a median time, so the column is exercised');
  });

  test('the ranking lists integrations in the API order', async () => {
    const adoption = await api(`/v1/adoption?${range}`);
    await open(admin, `/adoption?${range}`);
    const order = await admin.locator('#ranking-table tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-integration')));
    assert.deepEqual(order, adoption.ranking.map((r: any) => r.integration));
    const first = await admin.locator('#ranking-table tbody tr').first().locator('td').allTextContents();
    assert.equal(Number(first[2].replace(/,/g, '')), adoption.ranking[0].active_connections_30d, 'active connections of the leader');
    // The funnels follow the same order.
    const sections = await admin.locator('section.funnel').evaluateAll((s) => s.map((e) => e.getAttribute('data-integration')));
    assert.deepEqual(sections, order);
  });

  test('draws active connections over time: one line per integration, one point per day', async () => {
    const adoption = await api(`/v1/adoption?${range}`);
    await open(admin, `/adoption?${range}`);
    const lines = admin.locator('#active-chart svg polyline');
    assert.equal(await lines.count(), adoption.integrations.length);
    const titles = await admin.locator('#active-chart svg polyline > title').allTextContents();
    assert.deepEqual([...titles].sort(), adoption.integrations.map((a: any) => a.integration).sort());
    const points = (await lines.first().getAttribute('points'))!.trim().split(/\s+/);
    assert.equal(points.length, adoption.integrations[0].daily_active_connections.length);
    // The figures table says the same as the API, day by day, for the ranking's leader.
    const leader = adoption.integrations.find((a: any) => a.integration === adoption.ranking[0].integration);
    const column = await admin.locator('#active-table tbody tr td:nth-child(2)').allTextContents();
    assert.deepEqual(column.map(Number), leader.daily_active_connections.map((d: any) => d.connections));
    assert.ok(leader.daily_active_connections.some((d: any) => d.connections > 0), 'the leader has active days');
  });

  test('offers the 30- and 90-day windows and rejects a bad period with a 400 page', async () => {
    await open(admin, '/adoption');
    assert.equal(await admin.locator('.windows strong').textContent(), 'Last 30 days');
    await open(admin, '/adoption?window=90d');
    assert.equal(await admin.locator('.windows strong').textContent(), 'Last 90 days');
    const res = await admin.goto(`${svc.url}/adoption?from=yesterday`);
    assert.equal(res?.status(), 400);
    assert.match((await admin.locator('.error-box').textContent())!, /from/);
  });

  test('fits a phone: nothing but tables scrolls sideways', async () => {
    const context = await browser.newContext({ phone: true });
    const page = await context.newPage();
    await signIn(page, svc.url, ADMIN);
    await open(page, '/adoption');
    const overflow = await horizontalOverflow(page);
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than the phone`);
    assert.ok(await page.locator('#active-chart svg').isVisible());
    await context.close();
  });

  test('is for operators only: a tenant key gets the 403 page', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, svc.url, TENANT_KEY);
    const res = await page.goto(`${svc.url}/adoption`);
    assert.equal(res?.status(), 403);
    assert.match((await page.locator('h1').textContent())!, /Not available with this access/);
    assert.equal(await page.locator('#ranking-table').count(), 0, 'no adoption content');
    await context.close();
  });

  test('desktop screenshot for the docs', async () => {
    await open(admin, '/adoption');
    const file = await saveScreenshot(admin, 'adoption');
    assert.match(file, /docs\/screenshots\/adoption\.png$/);
  });
});
