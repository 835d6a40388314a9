/**
 * The value report's templates (email HTML and text, the web page, the inline SVG charts)
 * show hostile tenant names, integration names, business ids and messages as text — never
 * as markup or as template syntax.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { createEmailRenderer } from '../../src/notify/index.js';
import { buildValueReport, parsePeriod, renderValueReport } from '../../src/reports/index.js';
import { startTestService, type TestService } from '../support/service.js';
import { ADMIN, DAY, INGEST, postEvents, seedIncident, VALUE_CONFIG } from './support.js';

const SCRIPT = '<script>alert(1)</script>';
const IMG = '"><img src=x onerror=alert(1)>';
const SVG = '"><svg/onload=alert(1)>';
const MUSTACHE = '{{x}}';
const OCT = Date.UTC(2026, 9, 1);

let svc: TestService;
let dir: string;

function synced(tenant: string, integration: string, id: string, t: number, value: number) {
  return { id: `e-${tenant}-${integration}-${id}`, type: 'record.synced', time: new Date(t).toISOString(), tenant, integration, flow: 'orders.export', run: `run-${t}`, record: { id, type: 'order', value, currency: 'USD' } };
}

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'syncwatch-report-render-'));
  writeFileSync(path.join(dir, 'config.yaml'), VALUE_CONFIG);
  svc = await startTestService({ SYNCWATCH_ADMIN_KEY: ADMIN, SYNCWATCH_INGEST_KEY: INGEST, SYNCWATCH_CONFIG: path.join(dir, 'config.yaml') });
  await postEvents(svc, [
    synced('acme', SCRIPT, IMG, OCT + 2 * DAY, 120),
    synced('acme', MUSTACHE, 'ORD-2', OCT + 3 * DAY, 80),
    synced('acme', SVG, 'ORD-3', OCT + 4 * DAY, 40),
    synced(SCRIPT, 'salesforce', 'ORD-4', OCT + 5 * DAY, 10),
  ]);
  await seedIncident(svc.driver, { tenant: 'acme', integration: SCRIPT, flow: MUSTACHE, fingerprint: 'fp-hostile', firedAt: OCT + 6 * DAY, resolvedAt: OCT + 6 * DAY + 3_600_000, summary: `${SCRIPT} failed ${MUSTACHE}`, records: [{ id: IMG, message: SCRIPT }] });
});
after(async () => {
  await svc?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** No hostile string reaches HTML as markup; each is there as escaped text. */
function assertEscaped(html: string, where: string) {
  for (const raw of [SCRIPT, IMG, SVG, '<img', '<svg/onload', 'onerror=alert(1)>']) assert.ok(!html.includes(raw), `${where}: ${raw} must not appear raw`);
  assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'), `${where}: the script tag is shown as text`);
  assert.ok(html.includes('&quot;&gt;&lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;') || html.includes('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;'), `${where}: the business id is shown as text`);
  assert.ok(!/<script\b/i.test(html), `${where}: no script element at all`);
}

/** The inline SVG charts of a page or email. */
const svgsOf = (html: string) => html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];

describe('value report rendering with hostile names and ids', () => {
  test('email HTML: every hostile string is escaped text, {{x}} is shown as typed, the SVG charts escape their labels', async () => {
    const model = await buildValueReport(svc.driver, svc.config, { tenant: 'acme', period: parsePeriod('2026-10'), now: Date.now() });
    assert.deepEqual(model.integrations.map((i) => i.integration).sort(), [SVG, SCRIPT, MUSTACHE].sort());
    const email = renderValueReport(model, svc.links, createEmailRenderer(), Date.now());
    assertEscaped(email.html, 'email HTML');
    assert.ok(email.html.includes(MUSTACHE), 'template syntax in data stays text, it is not evaluated');
    const svgs = svgsOf(email.html);
    assert.ok(svgs.length >= 2, 'the charts are there');
    for (const svg of svgs) assert.ok(!svg.includes('<script') && !svg.includes('onload') && !svg.includes('<img'), 'nothing executable inside an SVG');
  });

  test('the plain-text part has the strings as they are and no HTML of ours', async () => {
    const model = await buildValueReport(svc.driver, svc.config, { tenant: 'acme', period: parsePeriod('2026-10'), now: Date.now() });
    const { text } = renderValueReport(model, svc.links, createEmailRenderer(), Date.now());
    for (const s of [SCRIPT, IMG, MUSTACHE]) assert.ok(text.includes(s), `the text shows ${s} as it is`);
    assert.ok(!text.includes('&lt;') && !text.includes('&quot;') && !text.includes('&#x3D;'), 'no HTML entities');
    assert.ok(!/<(svg|table|tr|td|p|a|div|span|h1|h2|br)[\s>]/.test(text), 'no HTML elements');
  });

  test('the web page escapes them too, in tables, incidents and the SVG of integrations', async () => {
    const res = await request(svc.server).get('/reports/acme').query({ period: '2026-10' }).set('Authorization', `Bearer ${ADMIN}`);
    assert.equal(res.status, 200);
    assertEscaped(res.text, 'page');
    const integrationsChart = svgsOf(res.text).find((s) => s.includes('Records moved by integration'));
    assert.ok(integrationsChart, 'the chart of integrations');
    assert.ok(integrationsChart.includes('&lt;script&gt;alert(1)&lt;/script&gt;'), 'its labels are escaped');
  });

  test('a hostile tenant name is text on its page, in its email and in its charts', async () => {
    const res = await request(svc.server).get(`/reports/${encodeURIComponent(SCRIPT)}`).query({ period: '2026-10' }).set('Authorization', `Bearer ${ADMIN}`);
    assert.equal(res.status, 200);
    assert.ok(!res.text.includes(SCRIPT));
    assert.ok(res.text.includes('Tenant <strong>&lt;script&gt;alert(1)&lt;/script&gt;</strong>'));
    assert.ok(svgsOf(res.text).some((s) => s.includes('for &lt;script&gt;alert(1)&lt;/script&gt;')), 'chart titles escape the tenant');
    const api = await request(svc.server).get('/v1/reports/value').query({ tenant: SCRIPT, period: '2026-10', format: 'html' }).set('Authorization', `Bearer ${ADMIN}`);
    assert.equal(api.status, 200);
    assert.ok(!api.text.includes(SCRIPT));
    assert.ok(api.text.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
  });
});
