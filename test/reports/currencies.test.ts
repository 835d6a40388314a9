/**
 * Money in every currency: tenants whose records are only in EUR, in GBP and USD, or in
 * currencies no rate covers. The headline converts what has a rate (configured rates win
 * over the dated reference table) and shows every other amount beside it in its own
 * currency — in /v1/value, the report JSON, the page, and the email (HTML and text). It is
 * never "$0.00" when money moved. Expected figures are recomputed here from the events
 * posted, not read back from syncwatch.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { ADMIN, DAY, INGEST, postEvents } from './support.js';
import { startTestService, type TestService } from '../support/service.js';

const OCT = Date.UTC(2026, 9, 1);
/** The reference table the first service reads (units of USD per unit). */
const TABLE = { as_of: '2026-10-31', base: 'USD', rates: { EUR: 1.05, GBP: 1.3, JPY: 0.0067 } };
/** Configured in the YAML: wins over the table's 1.3. */
const CONFIGURED = { GBP: 1.25 };

/** Each tenant's synced records: [currency, amount]. */
const TENANTS: Record<string, [string, number][]> = {
  'eur-only': [['EUR', 348_970.76], ['EUR', 1_000.24]],
  'gbp-usd': [['GBP', 3_086_397.34], ['USD', 2_000.5], ['GBP', 10]],
  'no-rate': [['ISK', 120_000], ['KRW', 5_500_000]],
  'mixed': [['USD', 100], ['ISK', 900]],
};

const money = (n: number, c: string) => new Intl.NumberFormat('en-US', { style: 'currency', currency: c }).format(n);
const round2 = (n: number) => Math.round(n * 100) / 100;

/** The expected money figure, from the records and the rates alone. */
function expected(records: [string, number][], rates: Record<string, number>) {
  const byCurrency: Record<string, number> = {};
  for (const [c, a] of records) byCurrency[c] = round2((byCurrency[c] ?? 0) + a);
  let total = 0;
  const unconverted: string[] = [];
  for (const c of Object.keys(byCurrency).sort()) {
    const rate = c === 'USD' ? 1 : rates[c];
    if (rate === undefined) unconverted.push(c);
    else total += byCurrency[c] * rate;
  }
  total = round2(total);
  const parts = [...(total !== 0 || unconverted.length === 0 ? [money(total, 'USD')] : []), ...unconverted.map((c) => money(byCurrency[c], c))];
  return { total, byCurrency, unconverted, headline: parts.join(' + ') };
}

function events(tenant: string) {
  return TENANTS[tenant].map(([currency, value], i) => ({
    id: `e-${tenant}-${i}`,
    type: 'record.synced',
    time: new Date(OCT + (i + 2) * DAY).toISOString(),
    tenant,
    integration: 'stripe',
    flow: 'payments.import',
    run: `run-${tenant}-${i}`,
    record: { id: `PAY-${i}`, type: 'payment', value, currency },
  }));
}

interface Setup {
  svc: TestService;
  dir: string;
}

async function start(config: string, env: Record<string, string> = {}): Promise<Setup> {
  const dir = mkdtempSync(path.join(tmpdir(), 'syncwatch-currencies-'));
  writeFileSync(path.join(dir, 'config.yaml'), config);
  const svc = await startTestService({ SYNCWATCH_ADMIN_KEY: ADMIN, SYNCWATCH_INGEST_KEY: INGEST, SYNCWATCH_CONFIG: path.join(dir, 'config.yaml'), ...env });
  await postEvents(svc, Object.keys(TENANTS).flatMap(events));
  return { svc, dir };
}

const get = (s: Setup, url: string, query: Record<string, string>) => request(s.svc.server).get(url).query(query).set('Authorization', `Bearer ${ADMIN}`);

/** Every surface's money headline for one tenant, October 2026. */
async function headlines(s: Setup, tenant: string) {
  const value = await get(s, '/v1/value', { tenant, from: '2026-10-01T00:00:00Z', to: '2026-11-01T00:00:00Z' });
  assert.equal(value.status, 200, JSON.stringify(value.body));
  const report = await get(s, '/v1/reports/value', { tenant, period: '2026-10' });
  assert.equal(report.status, 200, JSON.stringify(report.body));
  const email = await get(s, '/v1/reports/value', { tenant, period: '2026-10', format: 'html' });
  const page = await get(s, `/reports/${tenant}`, { period: '2026-10' });
  assert.equal(page.status, 200);
  const figure = (html: string) => {
    const m = /data-figure="money_moved"[\s\S]*?<div class="value">([^<]*)<\/div>/.exec(html);
    return m ? decode(m[1]) : null;
  };
  return { value: value.body, report: report.body, email: decode(email.text), page: figure(page.text) };
}

const decode = (html: string) => html.replace(/&#x2B;/g, '+').replace(/&#x3D;/g, '=').replace(/&amp;/g, '&');

describe('money with configured rates and the reference table', () => {
  let s: Setup;
  const rates = { EUR: TABLE.rates.EUR, JPY: TABLE.rates.JPY, ...CONFIGURED };
  before(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'syncwatch-rates-table-'));
    const tableFile = path.join(dir, 'rates.yaml');
    writeFileSync(tableFile, `as_of: ${TABLE.as_of}\nbase: USD\nrates:\n${Object.entries(TABLE.rates).map(([c, r]) => `  ${c}: ${r}`).join('\n')}\n`);
    s = await start(`value:\n  reporting_currency: USD\n  rates: { GBP: ${CONFIGURED.GBP} }\n`, { SYNCWATCH_RATES_FILE: tableFile });
  });
  after(async () => {
    await s?.svc.stop();
    rmSync(s?.dir ?? '', { recursive: true, force: true });
  });

  for (const tenant of Object.keys(TENANTS)) {
    test(`${tenant}: /v1/value, the report JSON, the page and the email show the same headline, converted where a rate exists`, async () => {
      const want = expected(TENANTS[tenant], rates);
      const h = await headlines(s, tenant);
      assert.equal(h.value.money_moved.total, want.total);
      assert.deepEqual(h.value.money_moved.by_currency, want.byCurrency);
      assert.deepEqual(h.value.money_moved.unconverted_currencies, want.unconverted);
      assert.deepEqual(h.report.totals.money_moved.current, h.value.money_moved);
      assert.equal(h.page, want.headline, 'page headline');
      assert.ok(h.email.includes(want.headline), `email shows ${want.headline}`);
      assert.notEqual(h.page, '$0.00', 'never $0.00 when money moved');
      // Which rate converted what, and from where.
      for (const c of Object.keys(want.byCurrency)) {
        if (c === 'USD') assert.equal(h.value.conversion.rates[c], 1);
        else assert.equal(h.value.conversion.rates[c], (rates as Record<string, number>)[c]);
      }
      const fromTable = Object.keys(want.byCurrency).filter((c) => c === 'EUR').sort();
      assert.deepEqual(h.value.conversion.reference_currencies, fromTable, 'configured GBP is not counted as a reference rate');
      assert.equal(h.value.conversion.reference_as_of, fromTable.length ? TABLE.as_of : null);
    });
  }

  test('the report says which currencies were converted at the reference rates, and of which date', async () => {
    const h = await headlines(s, 'eur-only');
    assert.ok(h.email.includes(`EUR is converted to USD at the reference rates of ${TABLE.as_of}.`), 'email note');
    assert.ok(h.email.includes(`1 EUR = ${money(TABLE.rates.EUR, 'USD')} (reference rates of ${TABLE.as_of})`), 'rate column');
  });
});

describe('money with no rates at all', () => {
  let s: Setup;
  before(async () => {
    s = await start('value:\n  reporting_currency: USD\n  reference_rates: false\n');
  });
  after(async () => {
    await s?.svc.stop();
    rmSync(s?.dir ?? '', { recursive: true, force: true });
  });

  test('EUR only: the headline is the euros, not "$0.00", everywhere', async () => {
    const h = await headlines(s, 'eur-only');
    assert.equal(h.page, money(349_971, 'EUR'));
    assert.ok(h.email.includes(money(349_971, 'EUR')));
    assert.ok(!/Money moved[^<]*\$0\.00/.test(h.email), 'the email headline is not $0.00');
    assert.deepEqual(h.value.money_moved.unconverted_currencies, ['EUR']);
    assert.equal(h.report.summary.includes(`worth ${money(349_971, 'EUR')}`), true, h.report.summary);
  });

  test('GBP and USD: the dollars are the total and the pounds stand beside it', async () => {
    const h = await headlines(s, 'gbp-usd');
    assert.equal(h.page, `${money(2_000.5, 'USD')} + ${money(3_086_407.34, 'GBP')}`);
  });

  test('only currencies without a rate: the email headline lists each in its own currency', async () => {
    const res = await get(s, '/v1/reports/value', { tenant: 'no-rate', period: '2026-10', format: 'html' });
    assert.equal(res.status, 200);
    const want = expected(TENANTS['no-rate'], {});
    assert.equal(want.headline, `${money(120_000, 'ISK')} + ${money(5_500_000, 'KRW')}`);
    assert.ok(decode(res.text).includes(want.headline));
  });
});

describe('the reference table file', () => {
  test('a missing or malformed SYNCWATCH_RATES_FILE stops the start with a message naming it', async () => {
    const { loadConfig, ConfigError } = await import('../../src/config.js');
    const dir = mkdtempSync(path.join(tmpdir(), 'syncwatch-rates-bad-'));
    try {
      assert.throws(() => loadConfig({ SYNCWATCH_RATES_FILE: path.join(dir, 'missing.yaml') }), (e: Error) => e instanceof ConfigError && /SYNCWATCH_RATES_FILE/.test(e.message));
      writeFileSync(path.join(dir, 'bad.yaml'), 'as_of: yesterday\nbase: USD\nrates: { EUR: -1 }\n');
      assert.throws(() => loadConfig({ SYNCWATCH_RATES_FILE: path.join(dir, 'bad.yaml') }), (e: Error) => /as_of/.test(e.message) && /rates\.EUR/.test(e.message));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the shipped table (rates/reference.yaml) is dated and converts the demo currencies by default', async () => {
    const { loadConfig } = await import('../../src/config.js');
    const config = loadConfig({});
    assert.match(config.value.rates_info?.reference_as_of ?? '', /^\d{4}-\d{2}-\d{2}$/);
    for (const c of ['EUR', 'GBP']) assert.ok(config.value.rates[c] > 0, `${c} has a rate`);
    // With EUR as the reporting currency the table crosses through USD.
    const eur = loadConfig({ SYNCWATCH_CONFIG: writeTemp('value:\n  reporting_currency: EUR\n') });
    assert.ok(Math.abs(eur.value.rates.USD * config.value.rates.EUR - 1) < 1e-9, 'USD→EUR is the inverse of EUR→USD');
  });
});

function writeTemp(text: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'syncwatch-rates-cfg-'));
  writeFileSync(path.join(dir, 'c.yaml'), text);
  return path.join(dir, 'c.yaml');
}
