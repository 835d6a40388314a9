/**
 * A page review over the demo workload, in real headless Chromium: every page at 1280 px
 * and at 390 px has no sideways scrolling of the page body, no text under 11 px (HTML or
 * SVG chart text, as rendered), a word on every status badge, and never says both "nothing
 * to do" and "fix these". The screenshots in docs/screenshots come from here.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import request from 'supertest';
import { feedWorkload, generateWorkload, TENANTS } from '../../src/demo/index.js';
import { horizontalOverflow, launchBrowser, saveScreenshot, type TestBrowser } from '../support/browser.js';
import { startTestService, type TestService } from '../support/service.js';
import { ADMIN, INGEST } from '../reports/support.js';

let svc: TestService;
let browser: TestBrowser;
let pages: { name: string; path: string; screenshot?: string }[] = [];

before(async () => {
  svc = await startTestService({ SYNCWATCH_ADMIN_KEY: ADMIN, SYNCWATCH_INGEST_KEY: INGEST });
  const now = Date.now();
  const { events } = generateWorkload({ seed: 'page-review', now, days: 7 });
  const fed = await feedWorkload(events, null, { url: svc.url, ingestKey: INGEST, settle: () => svc.ingest.batcher.flush() });
  assert.deepEqual(fed.rejected, []);
  const tenant = TENANTS[0].id;
  const runs = await request(svc.server).get('/v1/runs').query({ tenant, window: '7d', limit: '200' }).set('Authorization', `Bearer ${ADMIN}`);
  const failed = runs.body.runs.find((r: { outcome: string }) => r.outcome === 'failed') ?? runs.body.runs[0];
  const from = new Date(now - 7 * 86_400_000).toISOString().slice(0, 10);
  const to = new Date(now + 86_400_000).toISOString().slice(0, 10);
  pages = [
    { name: 'overview', path: '/', screenshot: 'overview' },
    { name: 'adoption', path: '/adoption', screenshot: 'adoption' },
    ...TENANTS.map((t, i) => ({ name: `status ${t.id}`, path: `/status/${t.id}`, screenshot: i === 0 ? 'status' : undefined })),
    { name: 'run report', path: `/status/${tenant}/runs/${encodeURIComponent(failed.run)}`, screenshot: 'run-report' },
    { name: 'value report', path: `/reports/${tenant}?from=${from}&to=${to}`, screenshot: 'value-report' },
  ];
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await svc?.stop();
});

/** The smallest rendered text on the page: HTML by computed size, SVG text scaled as drawn. */
// A string, not a function: the test transpiler would add helpers the page does not have.
const SMALLEST_TEXT = `(() => {
  let min = { size: Infinity, text: '' };
  for (const el of Array.from(document.body.querySelectorAll('*'))) {
    const own = Array.from(el.childNodes).some((n) => n.nodeType === Node.TEXT_NODE && (n.textContent || '').trim() !== '');
    if (!own) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || getComputedStyle(el).visibility === 'hidden') continue;
    let size = parseFloat(getComputedStyle(el).fontSize);
    const svg = el.closest('svg');
    if (svg && svg.getScreenCTM()) size *= svg.getScreenCTM().a;
    if (size < min.size) min = { size, text: (el.textContent || '').trim().slice(0, 60) };
  }
  return min;
})()`;

/**
 * Boxes (tables, charts) wider than their scroll box at this width, and whether each shows
 * the scroll cue: the edge shadows of its own background, not covered by the table's.
 */
const SCROLL_BOXES = `(() => Array.from(document.querySelectorAll('.table-wrap, .chart'))
  .filter((el) => el.scrollWidth > el.clientWidth + 1)
  .map((el) => {
    const style = getComputedStyle(el);
    const table = el.querySelector('table');
    const covered = table ? getComputedStyle(table).backgroundColor !== 'rgba(0, 0, 0, 0)' : false;
    const cue = /radial-gradient/.test(style.backgroundImage) && /local/.test(style.backgroundAttachment) && !covered;
    return { cue, what: (el.querySelector('th, title')?.textContent || el.className).trim().slice(0, 40) };
  }))()`;

async function smallestText(page: Page): Promise<{ size: number; text: string }> {
  return page.evaluate(SMALLEST_TEXT) as Promise<{ size: number; text: string }>;
}

for (const phone of [false, true]) {
  describe(`every page at ${phone ? '390' : '1280'} px`, () => {
    test('no sideways scrolling, no text under 11 px, a word on every status, no contradictory advice', async () => {
      const context = await browser.newContext({ phone, headers: { Authorization: `Bearer ${ADMIN}` } });
      const page = await context.newPage();
      const problems: string[] = [];
      let scrolling = 0;
      for (const p of pages) {
        const res = await page.goto(`${svc.url}${p.path}`);
        assert.equal(res?.status(), 200, `${p.name} answers 200`);
        const overflow = await horizontalOverflow(page);
        if (overflow > 0) problems.push(`${p.name}: the page is ${overflow} px wider than the screen`);
        const small = await smallestText(page);
        if (small.size < 11) problems.push(`${p.name}: text of ${small.size.toFixed(1)} px ("${small.text}")`);
        const badges = await page.locator('.badge').allInnerTexts();
        if (badges.some((b) => b.trim() === '')) problems.push(`${p.name}: a status badge without text`);
        const body = await page.locator('body').innerText();
        if (/nothing to do/i.test(body) && /fix these/i.test(body)) problems.push(`${p.name}: says both "nothing to do" and "fix these"`);
        const boxes = (await page.evaluate(SCROLL_BOXES)) as { cue: boolean; what: string }[];
        scrolling += boxes.length;
        for (const box of boxes.filter((b) => !b.cue)) problems.push(`${p.name}: "${box.what}" scrolls sideways without a visible cue`);
        if (p.screenshot) await saveScreenshot(page, phone ? `${p.screenshot}-phone` : p.screenshot);
      }
      await context.close();
      assert.deepEqual(problems, []);
      // At phone width some tables and charts are wider than the screen: the cue is checked on real cases.
      if (phone) assert.ok(scrolling > 0, 'some table or chart scrolls sideways at 390 px');
    });
  });
}
