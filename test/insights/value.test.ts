import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { startTestService, type TestService } from '../support/service.js';

const ADMIN = 'admin-key-0123456789abcdef';
const INGEST = 'ingest-key-0123456789abcdef';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Midnight UTC ten days ago; the period under test is days 5 and 6, the previous one days 3 and 4. */
const BASE = Math.floor(Date.now() / DAY) * DAY - 10 * DAY;
const at = (day: number, hour = 0, minute = 0) => new Date(BASE + day * DAY + hour * HOUR + minute * 60_000).toISOString();
const dayOf = (day: number) => at(day).slice(0, 10);

const CONFIG = `
value:
  reporting_currency: USD
  rates: { EUR: 1.1 }
  reference_rates: false   # GBP has no rate here: the tests check it is shown unconverted
  hourly_cost: 60
  default_minutes_per_record: 2
  minutes_per_record:
    - { integration: salesforce, record_type: order, minutes: 5 }
    - { integration: salesforce, flow: orders.export, record_type: order, minutes: 6 }
    - { record_type: contact, minutes: 1 }
`;

let svc: TestService;
let configDir: string;
let n = 0;

type Rec = { id: string; type?: string; value?: number; currency?: string };
const ev = (type: string, time: string, record: Rec, over: Record<string, unknown> = {}) => ({
  id: `v-${n++}`,
  type,
  time,
  tenant: 'acme',
  integration: 'salesforce',
  flow: 'orders.export',
  run: `run-${time.slice(0, 13)}`,
  record: { type: 'order', ...record },
  ...(type === 'record.failed' ? { error: { message: 'amount is invalid', http_status: 422 } } : {}),
  ...(type === 'record.skipped' ? { reason: 'unchanged since last sync' } : {}),
  ...over,
});
const synced = (time: string, record: Rec, over?: Record<string, unknown>) => ev('record.synced', time, record, over);
const failed = (time: string, record: Rec, over?: Record<string, unknown>) => ev('record.failed', time, record, over);
const skipped = (time: string, record: Rec) => ev('record.skipped', time, record);

async function send(events: Record<string, unknown>[]) {
  const res = await request(svc.server).post('/v1/events').set('Authorization', `Bearer ${INGEST}`).send(events);
  assert.equal(res.status, 202);
  assert.deepEqual(res.body.rejected, []);
  await svc.ingest.batcher.flush();
}

const value = (query: Record<string, string>) => request(svc.server).get('/v1/value').query(query).set('Authorization', `Bearer ${ADMIN}`);

const PERIOD = { tenant: 'acme', from: at(5), to: at(7) };

before(async () => {
  configDir = mkdtempSync(path.join(tmpdir(), 'syncwatch-value-'));
  writeFileSync(path.join(configDir, 'config.yaml'), CONFIG);
  svc = await startTestService({ SYNCWATCH_ADMIN_KEY: ADMIN, SYNCWATCH_INGEST_KEY: INGEST, SYNCWATCH_CONFIG: path.join(configDir, 'config.yaml') });
  // Later events are sent before earlier ones in several places: arrival order must not matter.
  await send([
    synced(at(6, 8), { id: 'ORD-7', value: 25 }), // its failure (07:30) arrives two batches later
    synced(at(5, 12), { id: 'ORD-P2', value: 300 }), // its failure (day 4) arrives later
    synced(at(6, 5), { id: 'ORD-5', value: 70 }), // retried in a later run after failing on day 5
    synced(at(3, 10), { id: 'ORD-P1', value: 1000 }),
  ]);
  await send([
    synced(at(5, 1), { id: 'ORD-1', value: 100 }),
    synced(at(5, 2), { id: 'ORD-2', value: 200, currency: 'EUR' }),
    synced(at(5, 3), { id: 'ORD-3', value: 0.1, currency: 'GBP' }),
    synced(at(5, 3, 10), { id: 'ORD-3B', value: 0.2, currency: 'GBP' }),
    failed(at(5, 4), { id: 'ORD-4', value: 500 }),
    failed(at(5, 5), { id: 'ORD-5', value: 70 }),
    synced(at(5, 10), { id: 'CON-1', type: 'contact' }, { integration: 'hubspot', flow: 'contacts.import' }),
    synced(at(6, 11), { id: 'DEAL-1', type: 'deal' }, { integration: 'hubspot', flow: 'deals.export' }),
    failed(at(6, 6), { id: 'ORD-6', value: 40, currency: 'EUR' }),
    skipped(at(6, 7), { id: 'ORD-6', value: 40, currency: 'EUR' }),
    failed(at(6, 10), { id: 'ORD-8', value: 12 }),
    failed(at(6, 9), { id: 'ORD-8', value: 10 }),
  ]);
  await send([
    failed(at(6, 7, 30), { id: 'ORD-7', value: 25 }),
    failed(at(4, 10), { id: 'ORD-P2', value: 300 }),
    // Another tenant in the same hours, with a record of the same id.
    synced(at(5, 1), { id: 'ORD-1', value: 999 }, { tenant: 'globex' }),
    failed(at(5, 2), { id: 'ORD-9', value: 5000 }, { tenant: 'globex' }),
  ]);
  // hooli: a failure and a sync of the same record in the same millisecond.
  await send([
    { ...failed(at(5, 9), { id: 'TIE-1', value: 10 }, { tenant: 'hooli' }), id: 'tie-2' },
    { ...synced(at(5, 9), { id: 'TIE-1', value: 10 }, { tenant: 'hooli' }), id: 'tie-1' },
    { ...failed(at(5, 9), { id: 'TIE-2', value: 20 }, { tenant: 'hooli' }), id: 'tie-3' },
    { ...synced(at(5, 9), { id: 'TIE-2', value: 20 }, { tenant: 'hooli' }), id: 'tie-4' },
  ]);
});
after(async () => {
  await svc.stop();
  rmSync(configDir, { recursive: true, force: true });
});

describe('GET /v1/value', () => {
  test('money moved per currency and converted; a currency without a rate is listed, not guessed', async () => {
    const res = await value(PERIOD);
    assert.equal(res.status, 200);
    assert.equal(res.body.reporting_currency, 'USD');
    assert.deepEqual(res.body.money_moved, {
      total: 715,
      currency: 'USD',
      by_currency: { EUR: 200, GBP: 0.3, USD: 495 },
      unconverted_currencies: ['GBP'],
    });
    assert.deepEqual(res.body.unconverted_currencies, ['GBP']);
    assert.equal(res.body.records_moved, 9);
    assert.equal(res.body.records_failed, 6);
    assert.equal(res.body.records_skipped, 1);
  });

  test('time saved uses the most specific minutes-per-record entry, else the default', async () => {
    const res = await value(PERIOD);
    // 7 salesforce orders.export orders × 6 + 1 contact × 1 + 1 deal × 2 (default) = 45 minutes at 60 USD/hour.
    assert.deepEqual(res.body.time_saved, { minutes: 45, hours: 0.75, value: 45, currency: 'USD' });
  });

  test('value at risk: failed and not synced since; a later success clears it, a skip does not, out-of-order arrival is fine', async () => {
    const res = await value(PERIOD);
    // ORD-4 (500 USD), ORD-6 (failed, then skipped: 40 EUR), ORD-8 (failed twice: counted once, latest value 12).
    // ORD-5 and ORD-P2 failed then synced; ORD-7's failure arrived after its (later) sync.
    assert.deepEqual(res.body.value_at_risk, {
      total: 556,
      currency: 'USD',
      by_currency: { EUR: 40, USD: 512 },
      unconverted_currencies: [],
      records: 3,
    });
  });

  test('the previous period of equal length sits beside it, with value at risk as of its own end', async () => {
    const res = await value(PERIOD);
    const p = res.body.previous;
    assert.equal(p.from, at(3));
    assert.equal(p.to, at(5));
    assert.deepEqual(p.money_moved.by_currency, { USD: 1000 });
    assert.equal(p.records_moved, 1);
    assert.equal(p.records_failed, 1);
    assert.deepEqual(p.time_saved, { minutes: 6, hours: 0.1, value: 6, currency: 'USD' });
    // ORD-P2 failed on day 4 and was only synced on day 5: at risk when the previous period ended.
    assert.deepEqual(p.value_at_risk, { total: 300, currency: 'USD', by_currency: { USD: 300 }, unconverted_currencies: [], records: 1 });
  });

  test('a window with partial days counts exactly what happened inside it', async () => {
    const res = await value({ tenant: 'acme', from: at(5, 2, 30), to: at(6, 5, 30) });
    assert.deepEqual(res.body.money_moved.by_currency, { GBP: 0.3, USD: 370 });
    assert.equal(res.body.records_moved, 5); // ORD-3, ORD-3B, CON-1, ORD-P2, ORD-5
    assert.equal(res.body.records_failed, 2);
    assert.deepEqual(res.body.value_at_risk.by_currency, { USD: 500 });
    assert.deepEqual(res.body.previous.money_moved.by_currency, { EUR: 200, USD: 100 });
    assert.deepEqual(res.body.previous.value_at_risk.by_currency, { USD: 300 });
  });

  test('groups by integration (the default), each with its previous period', async () => {
    const res = await value(PERIOD);
    assert.equal(res.body.group_by, 'integration');
    const [hubspot, salesforce] = res.body.groups;
    assert.equal(hubspot.integration, 'hubspot');
    assert.equal(hubspot.records_moved, 2);
    assert.deepEqual(hubspot.money_moved.by_currency, {});
    assert.equal(hubspot.money_moved.total, 0);
    assert.equal(hubspot.time_saved.minutes, 3);
    assert.equal(hubspot.value_at_risk.records, 0);
    assert.equal(hubspot.previous.records_moved, 0);
    assert.equal(salesforce.integration, 'salesforce');
    assert.equal(salesforce.records_moved, 7);
    assert.equal(salesforce.money_moved.total, 715);
    assert.equal(salesforce.value_at_risk.total, 556);
    assert.equal(salesforce.previous.money_moved.total, 1000);
    assert.equal(salesforce.previous.value_at_risk.total, 300);
  });

  test('groups by flow and by day (days zero-filled, no value at risk per day)', async () => {
    const flows = await value({ ...PERIOD, group_by: 'flow' });
    assert.deepEqual(
      flows.body.groups.map((g: { integration: string; flow: string; records_moved: number }) => [g.integration, g.flow, g.records_moved]),
      [
        ['hubspot', 'contacts.import', 1],
        ['hubspot', 'deals.export', 1],
        ['salesforce', 'orders.export', 7],
      ],
    );
    const days = await value({ tenant: 'acme', from: at(4), to: at(7), group_by: 'day' });
    assert.deepEqual(
      days.body.groups.map((g: Record<string, unknown>) => [g.day, g.records_moved, g.records_failed, (g.money_moved as { by_currency: unknown }).by_currency, g.value_at_risk]),
      [
        [dayOf(4), 0, 1, {}, null],
        [dayOf(5), 6, 2, { EUR: 200, GBP: 0.3, USD: 400 }, null],
        [dayOf(6), 3, 4, { USD: 95 }, null],
      ],
    );
    assert.equal(days.body.groups[1].previous, undefined);
  });

  test('a failure and a sync in the same millisecond are ordered by event id', async () => {
    // TIE-1: the failure's id sorts last, so it is the latest attempt; TIE-2: the sync's does.
    const res = await value({ tenant: 'hooli', from: at(5), to: at(7) });
    assert.deepEqual(res.body.value_at_risk.by_currency, { USD: 10 });
    assert.equal(res.body.value_at_risk.records, 1);
  });

  test('tenants are isolated, and without a tenant every tenant is counted', async () => {
    const globex = await value({ tenant: 'globex', from: at(5), to: at(7) });
    assert.deepEqual(globex.body.money_moved.by_currency, { USD: 999 });
    assert.deepEqual(globex.body.value_at_risk.by_currency, { USD: 5000 });
    const all = await value({ from: at(5), to: at(7), group_by: 'flow' });
    const others = all.body.groups.filter((g: { integration: string }) => g.integration === 'salesforce')[0];
    assert.equal(others.records_moved, 7 + 1 + 2); // acme, globex, hooli
    assert.deepEqual(all.body.money_moved.by_currency, { EUR: 200, GBP: 0.3, USD: 1494 + 30 });
    assert.equal(all.body.value_at_risk.records, 4 + 1);
  });

  test('no data is zeros, not an error', async () => {
    const res = await value({ tenant: 'nobody' });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.money_moved, { total: 0, currency: 'USD', by_currency: {}, unconverted_currencies: [] });
    assert.equal(res.body.records_moved, 0);
    assert.deepEqual(res.body.time_saved, { minutes: 0, hours: 0, value: 0, currency: 'USD' });
    assert.deepEqual(res.body.value_at_risk, { total: 0, currency: 'USD', by_currency: {}, unconverted_currencies: [], records: 0 });
    assert.equal(res.body.previous.records_moved, 0);
    assert.deepEqual(res.body.groups, []);
    assert.equal(Date.parse(res.body.to) - Date.parse(res.body.from), 30 * DAY);
  });

  test('period names a calendar month: the figures of the month, exactly those of its from/to', async () => {
    const month = dayOf(5).slice(0, 7);
    const [y, m] = month.split('-').map(Number);
    const from = new Date(Date.UTC(y, m - 1, 1)).toISOString();
    const to = new Date(Date.UTC(y, m, 1)).toISOString();
    const byPeriod = await value({ tenant: 'acme', period: month });
    assert.equal(byPeriod.status, 200);
    assert.equal(byPeriod.body.from, from);
    assert.equal(byPeriod.body.to, to);
    const byRange = await value({ tenant: 'acme', from, to });
    assert.deepEqual(byPeriod.body, byRange.body);
    assert.ok(byPeriod.body.records_moved > 0, 'the month holds the test period');
  });

  test('bad parameters are a 400 that names the parameter', async () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ group_by: 'week' }, /^group_by:/],
      [{ window: '3 days' }, /^window:/],
      [{ to: 'soon' }, /^to:/],
      [{ from: at(5), window: '1d' }, /^window:/],
      [{ integration: '' }, /^integration:/],
      [{ period: 'last-month' }, /^period: must be a month/],
      [{ period: dayOf(5).slice(0, 7), from: at(5) }, /^period: give either/],
      [{ period: dayOf(5).slice(0, 7), window: '7d' }, /^period: give either/],
      // An unknown parameter is refused, not ignored: ignoring it would answer for another period.
      [{ periode: '2026-10' }, /^periode: unknown parameter; this endpoint takes from, to, window, tenant, integration, flow, group_by, period$/],
    ];
    for (const [query, message] of cases) {
      const res = await value(query);
      assert.equal(res.status, 400, JSON.stringify(query));
      assert.match(res.body.error.message, message);
    }
  });
});
