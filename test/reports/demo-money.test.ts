/**
 * Acceptance: for every demo tenant, the value report's money headline is the sum of the
 * converted amounts plus the unconverted amounts shown beside it — recomputed here from
 * the demo's own events and the rates the service loaded (the shipped reference table,
 * GBP configured over it, and one amount in a currency no rate covers), never "$0.00"
 * when money moved.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import request from 'supertest';
import { feedWorkload, generateWorkload, TENANTS } from '../../src/demo/index.js';
import { startTestService, type TestService } from '../support/service.js';
import { ADMIN, INGEST, postEvents } from './support.js';

const NOW = Date.UTC(2026, 10, 20, 12);
const FROM = '2026-11-17T00:00:00.000Z';
const TO = '2026-11-20T00:00:00.000Z';
let svc: TestService;
let dir: string;
let events: any[];

const money = (n: number, c: string) => new Intl.NumberFormat('en-US', { style: 'currency', currency: c }).format(n);

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'syncwatch-demo-money-'));
  writeFileSync(path.join(dir, 'config.yaml'), 'value:\n  reporting_currency: USD\n  rates: { GBP: 1.25 }\n');
  svc = await startTestService({ SYNCWATCH_ADMIN_KEY: ADMIN, SYNCWATCH_INGEST_KEY: INGEST, SYNCWATCH_CONFIG: path.join(dir, 'config.yaml') });
  events = generateWorkload({ seed: 'demo-money', now: NOW, days: 4 }).events;
  const fed = await feedWorkload(events, null, { url: svc.url, ingestKey: INGEST, settle: () => svc.ingest.batcher.flush() });
  assert.deepEqual(fed.rejected, []);
  // Money in a currency no rate covers, for the first demo tenant.
  const extra = { id: 'e-isk', type: 'record.synced', time: '2026-11-18T10:00:00Z', tenant: TENANTS[0].id, integration: 'stripe', flow: 'payments.import', run: 'run-isk', record: { id: 'PAY-ISK', type: 'payment', value: 250_000, currency: 'ISK' } };
  await postEvents(svc, [extra]);
  events.push(extra);
});
after(async () => {
  await svc?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('every demo tenant: headline = converted total + the unconverted amounts beside it, on the report and the page', async () => {
  const rates = svc.config.value.rates;
  assert.equal(rates.GBP, 1.25, 'the configured rate wins over the reference table');
  let unconvertedSeen = 0;
  for (const { id: tenant } of TENANTS) {
    // Independent recomputation from the events fed.
    const byCurrency: Record<string, number> = {};
    for (const e of events) {
      if (e.tenant !== tenant || e.type !== 'record.synced' || e.record?.value === undefined) continue;
      if (e.time < FROM || e.time >= TO) continue;
      const c = e.record.currency ?? 'USD';
      byCurrency[c] = (byCurrency[c] ?? 0) + e.record.value;
    }
    assert.ok(Object.keys(byCurrency).length > 0, `${tenant} moved money in the period`);
    let total = 0;
    const beside: string[] = [];
    for (const c of Object.keys(byCurrency).sort()) {
      const rate = c === 'USD' ? 1 : rates[c];
      if (rate === undefined) beside.push(money(byCurrency[c], c));
      else total += byCurrency[c] * rate;
    }
    unconvertedSeen += beside.length;
    const headline = [money(Math.round(total * 100) / 100, 'USD'), ...beside].join(' + ');

    const report = await request(svc.server).get('/v1/reports/value').query({ tenant, from: FROM, to: TO }).set('Authorization', `Bearer ${ADMIN}`);
    assert.equal(report.status, 200, JSON.stringify(report.body));
    const m = report.body.totals.money_moved.current;
    for (const c of Object.keys(byCurrency)) assert.ok(Math.abs(m.by_currency[c] - byCurrency[c]) < 0.005, `${tenant} ${c}`);
    const page = await request(svc.server).get(`/reports/${tenant}`).query({ from: FROM, to: TO }).set('Authorization', `Bearer ${ADMIN}`);
    assert.equal(page.status, 200);
    const shown = /data-figure="money_moved"[\s\S]*?<div class="value">([^<]*)<\/div>/.exec(page.text)?.[1].replace(/&#x2B;/g, '+');
    assert.equal(shown, headline, `${tenant}: page headline`);
  }
  assert.equal(unconvertedSeen, 1, 'the ISK amount stands beside one tenant\'s total');
});
