import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import request from 'supertest';
import { launchBrowser, saveScreenshot, signIn, type TestBrowser } from '../support/browser.js';
import { ACME_KEY, ADMIN, post, run, startPageService, type PageService, type Rec } from './status-seed.js';

// The HTML run/import report in real headless Chromium: every record of the run by business
// id with why it failed or was skipped (the same records as the JSON report), a CSV
// download, text from outside shown as text, and no way to reach another tenant's run.

const SCRIPT_ID = '<script>alert(1)</script>';
const IMG_TEXT = '"><img src=x onerror=alert(1)>';
const IMPORT = 'run-import-42';
const BIG = 'run-big-1';
const OTHER = 'run-globex-9';
const BIG_SIZE = 520;

let ps: PageService;
let browser: TestBrowser;
let base: string;

before(async () => {
  ps = await startPageService();
  base = ps.svc.url;
  const now = Date.now();
  const where = { tenant: 'acme', integration: 'salesforce', connection: 'sf-main', flow: 'contacts.import' };
  const records: Rec[] = [
    { id: 'C-100', status: 'synced', value: 1250 },
    { id: SCRIPT_ID, status: 'failed', error: { category: 'data', code: 'validation', message: IMG_TEXT } },
    { id: 'C-101', status: 'synced' },
    { id: 'C-102', status: 'failed', error: { category: 'data', code: 'mapping', message: 'no account matches the company name' } },
    { id: IMG_TEXT, status: 'skipped', reason: `${SCRIPT_ID} unchanged` },
    { id: 'C-103', status: 'skipped', reason: 'unchanged since the last sync' },
  ];
  const big: Rec[] = Array.from({ length: BIG_SIZE }, (_, i) => ({ id: `BULK-${String(i).padStart(4, '0')}`, status: 'synced' }));
  await post(ps.svc, [
    ...run(now, where, IMPORT, 30, 'succeeded', records),
    ...run(now, { ...where, flow: 'contacts.bulk' }, BIG, 20, 'succeeded', big),
    ...run(now, { tenant: 'globex', integration: 'salesforce', connection: 'gx', flow: 'contacts.import' }, OTHER, 10, 'failed', [{ id: 'GLOBEX-ONLY-1', status: 'failed' }]),
  ]);
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await ps?.stop();
});

interface JsonReport {
  records: { record_id: string; status: string; failure: { category: string; code: string; message: string } | null; skip_reason: string | null }[];
}

async function jsonReport(runId: string): Promise<JsonReport> {
  const res = await request(ps.svc.server).get(`/v1/runs/${runId}/report`).query({ tenant: 'acme' }).set('Authorization', `Bearer ${ADMIN}`);
  assert.equal(res.status, 200);
  return res.body as JsonReport;
}

/** A signed-in acme page that records any dialog (a script that ran). */
async function acmePage(): Promise<{ page: Page; dialogs: string[] }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const dialogs: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  await signIn(page, base, ACME_KEY);
  return { page, dialogs };
}

describe('run report page', () => {
  test('lists every synced, failed and skipped record by business id with its reason, as the JSON report does', async () => {
    const { page } = await acmePage();
    const res = await page.goto(`${base}/status/acme/runs/${IMPORT}`);
    assert.equal(res?.status(), 200);
    const report = await jsonReport(IMPORT);
    assert.equal(report.records.length, 6);
    for (const status of ['synced', 'failed', 'skipped']) {
      const rows = page.locator(`#${status}-records tbody tr`);
      const expected = report.records.filter((r) => r.status === status);
      assert.equal(await rows.count(), expected.length, `${status} rows`);
      for (const r of expected) {
        const row = rows.filter({ has: page.locator('td', { hasText: r.record_id }) });
        assert.equal(await row.count(), 1, `${status} ${r.record_id}`);
        const text = await row.innerText();
        if (r.failure) assert.ok(text.includes(r.failure.message) && text.includes(`${r.failure.category} · ${r.failure.code}`), text);
        if (r.skip_reason) assert.ok(text.includes(r.skip_reason), text);
      }
      assert.equal(await page.locator(`#count-${status}`).innerText(), String(expected.length));
    }
    assert.match(await page.locator('#failed-records').innerText(), /no account matches the company name[\s\S]*?Still failing/);
    await saveScreenshot(page, 'run-report');
    await page.context().close();
  });

  test('shows hostile business ids and messages as text: no script runs, no element is injected', async () => {
    const { page, dialogs } = await acmePage();
    await page.goto(`${base}/status/acme/runs/${IMPORT}`);
    assert.ok(await page.getByText(SCRIPT_ID, { exact: true }).first().isVisible(), 'the script-like id is visible text');
    assert.ok(await page.getByText(IMG_TEXT, { exact: true }).first().isVisible(), 'the markup-like message is visible text');
    assert.ok(await page.getByText(`${SCRIPT_ID} unchanged`).isVisible(), 'the skip reason is visible text');
    assert.equal(await page.locator('main img, main script').count(), 0);
    // The status page lists the same failing record, also as text.
    await page.goto(`${base}/status/acme`);
    assert.ok(await page.locator('#failing-records').getByText(SCRIPT_ID, { exact: true }).isVisible());
    await page.goto(`${base}/status/acme?record=${encodeURIComponent(SCRIPT_ID)}`);
    assert.match(await page.locator('#record-search').innerText(), /Failed[\s\S]*onerror=alert\(1\)/);
    assert.equal(await page.locator('main img').count(), 0);
    assert.deepEqual(dialogs, [], 'no dialog fired');
    await page.context().close();
  });

  test('the CSV link downloads the same report as the API', async () => {
    const { page } = await acmePage();
    await page.goto(`${base}/status/acme/runs/${IMPORT}`);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#csv-link')]);
    assert.equal(download.suggestedFilename(), `run-${IMPORT}-report.csv`);
    const csv = readFileSync((await download.path())!, 'utf8');
    const api = await request(ps.svc.server).get(`/v1/runs/${IMPORT}/report`).query({ tenant: 'acme', format: 'csv' }).set('Authorization', `Bearer ${ADMIN}`);
    assert.equal(csv, api.text);
    assert.match(csv, /^record_id,record_type,status,/);
    await page.context().close();
  });

  test('a large run shows the first 500 records of an outcome with a note, and the CSV has them all', async () => {
    const { page } = await acmePage();
    await page.goto(`${base}/status/acme/runs/${BIG}`);
    assert.equal(await page.locator('#synced-records tbody tr').count(), 500);
    assert.match(await page.locator('main').innerText(), new RegExp(`Showing the first 500 of ${BIG_SIZE} synced records; the CSV has them all`));
    const csv = await page.request.get(`${base}/status/acme/runs/${BIG}?format=csv`);
    assert.equal(csv.status(), 200);
    assert.match(csv.headers()['content-disposition'] ?? '', /^attachment; filename="run-run-big-1-report.csv"$/);
    assert.equal((await csv.text()).trim().split('\r\n').length, BIG_SIZE + 1);
    await page.context().close();
  });

  test("another tenant's run is not found, in HTML and CSV alike", async () => {
    const { page } = await acmePage();
    const res = await page.goto(`${base}/status/acme/runs/${OTHER}`);
    assert.equal(res?.status(), 404);
    assert.match(await page.locator('h1').innerText(), /Not found/);
    assert.ok(!(await page.content()).includes('GLOBEX-ONLY-1'));
    const csv = await page.request.get(`${base}/status/acme/runs/${OTHER}?format=csv`);
    assert.equal(csv.status(), 404);
    assert.ok(!(await csv.text()).includes('GLOBEX-ONLY-1'));
    // And the other tenant's own address is closed to acme.
    assert.equal((await page.goto(`${base}/status/globex/runs/${OTHER}`))?.status(), 403);
    await page.context().close();
  });
});
