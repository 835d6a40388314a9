import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { ManualClock } from '../../src/clock.js';
import { TEST_EPOCH } from '../support/clock.js';
import { adviceFor, type AdviceFacts } from '../../src/views/status-advice.js';
import { launchBrowser, saveScreenshot, signIn, type TestBrowser, horizontalOverflow } from '../support/browser.js';
import { ACME_KEY, post, SCENARIO, startPageService, statusScenario, type PageService } from './status-seed.js';

// The tenant status page in real headless Chromium over a seeded workload: tenant acme has
// a healthy, a failing, a stale and a disabled connection; tenant globex has data of its own
// that acme must never see.

let ps: PageService;
let browser: TestBrowser;
let base: string;
// The page is judged at a fixed instant of the service's clock, so "ago" is exact.
const clock = new ManualClock(TEST_EPOCH);

before(async () => {
  ps = await startPageService(clock);
  base = ps.svc.url;
  await post(ps.svc, statusScenario(clock.now()));
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await ps?.stop();
});

/** A page signed in with acme's tenant key (desktop unless `phone`). */
async function acmePage(options: { phone?: boolean } = {}): Promise<Page> {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  await signIn(page, base, ACME_KEY);
  return page;
}

const card = (page: Page, integration: string) => page.locator(`section.conn[data-integration="${integration}"]`);
const statusText = (page: Page, integration: string) => card(page, integration).locator('[data-role=status]').innerText();

describe('tenant status page', () => {
  test('shows each connection with its status in words: healthy, failing, stale and disabled', async () => {
    const page = await acmePage();
    assert.equal(new URL(page.url()).pathname, '/status/acme', 'a tenant key signs in to its own status page');
    assert.equal(await statusText(page, 'salesforce'), 'Healthy');
    assert.equal(await statusText(page, 'quickbooks'), 'Failing');
    assert.equal(await statusText(page, 'hubspot'), 'Stale');
    assert.equal(await statusText(page, 'netsuite'), 'Disabled');
    assert.match(await page.locator('#summary').innerText(), /4 connections: 1 failing, 1 stale, 1 disabled, 1 healthy/);

    const healthy = card(page, 'salesforce');
    assert.match(await healthy.innerText(), /Last successful sync: 10 minutes ago/);
    const title = await healthy.locator('.when time').first().getAttribute('title');
    assert.match(title ?? '', /^\d{4}-\d\d-\d\d \d\d:\d\d UTC$/, 'the exact UTC time is in the title');
    assert.match(await healthy.innerText(), /Everything is syncing/);
    await saveScreenshot(page, 'status');
    await page.context().close();
  });

  test('says what is wrong with the failing connection and what the customer can do', async () => {
    const page = await acmePage();
    const failing = card(page, 'quickbooks');
    assert.match(await failing.locator('.wrong').innerText(), /invoices\.sync: last 4 runs failed/);
    assert.match(await failing.locator('.advice').innerText(), /Fix these records in your system; they sync again on the next run/);
    assert.match(await card(page, 'netsuite').locator('.advice').innerText(), /Re-enable it in your integration settings/);
    assert.match(await card(page, 'hubspot').locator('.wrong').innerText(), /no successful run for 6 hours; runs are expected every 1 hour/);
    await page.context().close();
  });

  test('lists records that still fail by business id, with a link to their run report', async () => {
    const page = await acmePage();
    const table = page.locator('#failing-records');
    const text = await table.innerText();
    for (const id of SCENARIO.failingRecords) assert.ok(text.includes(id), `${id} is listed`);
    assert.ok(!text.includes(SCENARIO.retriedRecord), 'a record a later run synced is not listed');
    const row = table.locator('tr', { hasText: SCENARIO.failingRecords[0] });
    assert.match(await row.innerText(), /Data · validation\s+customer email is required/);
    await row.getByRole('link', { name: 'run report' }).click();
    await page.waitForURL(`**/status/acme/runs/${SCENARIO.failingRun}`);
    assert.match(await page.locator('h1').innerText(), new RegExp(`Run report · ${SCENARIO.failingRun}`));
    await page.context().close();
  });

  test('the search box finds one record and shows its history', async () => {
    const page = await acmePage();
    await page.fill('#record', SCENARIO.retriedRecord);
    await Promise.all([page.waitForURL((u) => u.searchParams.get('record') === SCENARIO.retriedRecord), page.click('form[role=search] button')]);
    const found = page.locator('#record-search');
    const text = await found.innerText();
    assert.match(text, new RegExp(`Record ${SCENARIO.retriedRecord}`));
    assert.match(text, /It failed earlier and a later attempt synced it/);
    const rows = found.locator('tbody tr');
    assert.equal(await rows.count(), 2);
    assert.match(await rows.nth(0).innerText(), /Synced/);
    assert.match(await rows.nth(1).innerText(), /Failed[\s\S]*customer email is required/);

    await page.fill('#record', 'NO-SUCH-RECORD');
    await Promise.all([page.waitForURL((u) => u.searchParams.get('record') === 'NO-SUCH-RECORD'), page.click('form[role=search] button')]);
    assert.match(await page.locator('#record-search').innerText(), /No record with id “NO-SUCH-RECORD” in the last 400 days/);
    await page.context().close();
  });

  test('a tenant key cannot open another tenant\'s pages, and never sees its data', async () => {
    const page = await acmePage();
    for (const path of ['/status/globex', `/status/globex/runs/${SCENARIO.globexRun}`, '/status/globex?record=' + SCENARIO.globexRecord]) {
      const res = await page.goto(`${base}${path}`);
      assert.equal(res?.status(), 403, path);
      assert.match(await page.locator('h1').innerText(), /Not available with this access/);
      // (The address itself is echoed in the sign-in link; nothing stored for globex is shown.)
      assert.ok(!(await page.content()).includes('globex-only failure'), `${path} shows nothing of globex`);
      assert.equal(await page.locator('section.conn, #record-search, table').count(), 0, path);
    }
    // Asking acme's own pages for globex's records and runs finds nothing either.
    const run = await page.goto(`${base}/status/acme/runs/${SCENARIO.globexRun}`);
    assert.equal(run?.status(), 404);
    await page.goto(`${base}/status/acme?record=${SCENARIO.globexRecord}`);
    assert.match(await page.locator('#record-search').innerText(), /No record with id/);
    await page.goto(`${base}/status/acme`);
    const html = await page.content();
    assert.ok(!html.includes(SCENARIO.globexRecord) && !html.includes(SCENARIO.globexRun) && !html.includes('globex-only failure'));
    await page.context().close();
  });

  test('a signed link opens the page and leaves no token in the address bar', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const res = await page.goto(ps.links.statusPage('acme'));
    assert.equal(res?.status(), 200);
    assert.ok(!page.url().includes('access='), page.url());
    assert.equal(new URL(page.url()).pathname, '/status/acme');
    assert.equal(await statusText(page, 'quickbooks'), 'Failing');
    // The link became a session: the run report opens without the token.
    assert.equal((await page.goto(`${base}/status/acme/runs/${SCENARIO.failingRun}`))?.status(), 200);
    await context.close();
  });

  test('an expired or tampered link gets the sign-in page, not the status', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const expired = ps.signer.sign({ role: 'tenant', tenants: ['acme'], expiresAt: clock.now() - 60_000 });
    const valid = new URL(ps.links.statusPage('acme')).searchParams.get('access')!;
    const [payload, mac] = valid.split('.');
    const widened = Buffer.from(JSON.stringify({ r: 'admin', t: null, e: Math.floor(clock.now() / 1000) + 3600 })).toString('base64url');
    for (const token of [expired, `${payload}.${mac.slice(0, -3)}xyz`, `${widened}.${mac}`]) {
      const res = await page.goto(`${base}/status/acme?access=${token}`);
      assert.equal(res?.status(), 401);
      assert.match(await page.locator('main').innerText(), /this link has expired or is not valid/);
      assert.equal(await page.locator('section.conn').count(), 0);
      assert.ok(await page.getByRole('link', { name: 'Sign in with an API key' }).isVisible());
    }
    await context.close();
  });

  test('fits a phone screen: no sideways scrolling outside the tables', async () => {
    const page = await acmePage({ phone: true });
    await page.goto(`${base}/status/acme?record=${SCENARIO.retriedRecord}`);
    const overflow = await horizontalOverflow(page);
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than the window`);
    assert.equal(await statusText(page, 'quickbooks'), 'Failing');
    await page.goto(`${base}/status/acme`);
    assert.ok((await horizontalOverflow(page)) <= 0, 'the plain status page fits too');
    await saveScreenshot(page, 'status-phone');
    await page.context().close();
  });

  test('a tenant with no activity sees a helpful empty state, not an error', async () => {
    const context = await browser.newContext({ headers: { authorization: `Bearer ${ps.svc.config.keys.find((k) => k.role === 'admin')!.key}` } });
    const page = await context.newPage();
    const res = await page.goto(`${base}/status/newcomer`);
    assert.equal(res?.status(), 200);
    assert.match(await page.locator('#no-activity').innerText(), /No integration activity yet for newcomer/);
    await context.close();
  });
});

describe('what the status page advises', () => {
  const facts = (f: Partial<AdviceFacts>): AdviceFacts => ({
    integration: 'quickbooks',
    status: 'failing',
    reasons: [],
    failures: { infra: 0, endpoint: 0, data: 0 },
    failure_codes: {},
    ...f,
  });
  const kinds = (f: Partial<AdviceFacts>) => adviceFor(facts(f)).map((a) => a.kind);

  test('nothing to do when healthy; turn it back on when disabled or uninstalled', () => {
    assert.deepEqual(kinds({ status: 'healthy', failures: { infra: 0, endpoint: 0, data: 1 } }), []);
    assert.deepEqual(kinds({ status: 'disabled', reasons: [{ code: 'disabled', message: '' }] }), ['disabled']);
    assert.match(adviceFor(facts({ status: 'disabled', reasons: [{ code: 'uninstalled', message: '' }] }))[0].text, /uninstalled[\s\S]*Install it again/);
  });

  test('an expired authorisation asks to re-authorise, not to wait for the partner', () => {
    const advice = adviceFor(facts({ reasons: [{ code: 'auth_expired', message: '' }], failures: { infra: 0, endpoint: 4, data: 0 }, failure_codes: { 'endpoint.auth': 4 } }));
    assert.deepEqual(advice.map((a) => a.kind), ['auth']);
    assert.match(advice[0].text, /Re-authorise the quickbooks connection/);
  });

  test('each failure category driving the status gets its own advice; staleness alone asks to check the connection', () => {
    const rate = [{ code: 'record_failure_rate_high' as const, message: '' }];
    assert.deepEqual(kinds({ reasons: rate, failures: { infra: 1, endpoint: 2, data: 3 }, failure_codes: { 'endpoint.unavailable': 2 } }), ['data', 'endpoint', 'infra']);
    assert.match(adviceFor(facts({ reasons: [{ code: 'endpoint_failure', message: '' }], failures: { infra: 0, endpoint: 2, data: 0 } }))[0].text, /Nothing to do on your side: the quickbooks API is failing/);
    assert.deepEqual(kinds({ status: 'stale', reasons: [{ code: 'no_recent_success', message: '' }] }), ['stale']);
    assert.deepEqual(kinds({ reasons: [{ code: 'no_recent_success', message: '' }, { code: 'data_failures', message: '' }], failures: { infra: 0, endpoint: 0, data: 2 } }), ['data'], 'stale because of data failures: fix the data');
  });
});
