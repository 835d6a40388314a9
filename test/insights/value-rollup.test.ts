/**
 * Every rollup-backed figure of /v1/failures and /v1/value equals a direct recomputation
 * from raw `events FINAL` rows, for a seeded random workload posted shuffled (out of
 * order) with re-sent duplicates, over aligned and unaligned windows, per tenant and for
 * all tenants. SYNCWATCH_TEST_SEED picks another workload.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { toChTime } from '../../src/store/index.js';
import { randomWorkload } from '../support/random-workload.js';
import { startTestService, type TestService } from '../support/service.js';

const ADMIN = 'admin-key-0123456789abcdef';
const INGEST = 'ingest-key-0123456789abcdef';
const SEED = Number(process.env.SYNCWATCH_TEST_SEED ?? 7);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const RATES: Record<string, number> = { USD: 1, EUR: 1.08 }; // GBP has no rate: reported unconverted
const HOURLY_COST = 45;

const CONFIG = `
value:
  reporting_currency: USD
  rates: { EUR: 1.08 }
  reference_rates: false   # GBP has no rate here: the tests check it is shown unconverted
  hourly_cost: ${HOURLY_COST}
  default_minutes_per_record: 2
  minutes_per_record:
    - { integration: salesforce, record_type: orders, minutes: 4 }
    - { flow: invoices.sync, minutes: 3 }
    - { integration: hubspot, flow: deals.export, record_type: deals, minutes: 7 }
`;

/** The configured minutes per record, written out by hand (most specific entry first). */
function minutesFor(integration: string, flow: string, recordType: string): number {
  if (integration === 'hubspot' && flow === 'deals.export' && recordType === 'deals') return 7;
  if (integration === 'salesforce' && recordType === 'orders') return 4;
  if (flow === 'invoices.sync') return 3;
  return 2;
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

let svc: TestService;
let configDir: string;
const now = Date.now();
const workload = randomWorkload(SEED, { now, days: 14 });

interface Range {
  from: number;
  to: number;
}
const start = now - 14 * DAY;
const WINDOWS: Record<string, Range> = {
  'the whole workload': { from: now - 15 * DAY, to: now },
  'unaligned days and hours': { from: start + 3 * DAY + 5 * HOUR + 17 * 60_000 + 13_000, to: start + 9 * DAY + 13 * HOUR + 3 * 60_000 },
  'six hours around a run': { from: start + 6 * DAY + 9 * HOUR, to: start + 6 * DAY + 15 * HOUR },
  'seven whole days': { from: Math.floor(now / DAY) * DAY - 7 * DAY, to: Math.floor(now / DAY) * DAY },
};
const SCOPES: (string | undefined)[] = [undefined, 'acme', 'globex', 'initech', 'umbrella'];

const iso = (ms: number) => new Date(ms).toISOString();
/** A ClickHouse UTC time string as ISO-8601. */
const chIso = (t: string) => iso(Date.parse(`${t.replace(' ', 'T')}Z`));

async function raw<T = Record<string, string>>(sql: string, r: Range, tenant: string | undefined, extra: Record<string, unknown> = {}): Promise<T[]> {
  return svc.driver.query<T>({
    name: 'test.raw',
    sql: sql.replace('{scope}', tenant ? 'tenant = {tenant:String}' : '1'),
    params: { from: toChTime(r.from), to: toChTime(r.to), tenant: tenant ?? '', ...extra },
  });
}

const get = async (route: string, query: Record<string, string | undefined>) => {
  const res = await request(svc.server)
    .get(route)
    .query(Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined)))
    .set('Authorization', `Bearer ${ADMIN}`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body;
};

const IN_RANGE = 'ts >= {from:DateTime64(3)} AND ts < {to:DateTime64(3)} AND {scope}';

/** Money, counts and minutes per group, recomputed from raw events. */
async function rawMoved(r: Range, tenant: string | undefined, groupSql: string) {
  const money = await raw(
    `SELECT ${groupSql} AS g, currency, toString(sum(toDecimal128(record_value, 6))) AS v
     FROM events FINAL WHERE type = 'record.synced' AND currency != '' AND ${IN_RANGE} GROUP BY g, currency`,
    r,
    tenant,
  );
  const counts = await raw(
    `SELECT ${groupSql} AS g, integration, flow, record_type,
            countIf(type = 'record.synced') AS s, countIf(type = 'record.failed') AS f, countIf(type = 'record.skipped') AS k
     FROM events FINAL WHERE type LIKE 'record.%' AND ${IN_RANGE} GROUP BY g, integration, flow, record_type`,
    r,
    tenant,
  );
  const groups = new Map<string, { money: Record<string, number>; synced: number; failed: number; skipped: number; minutes: number }>();
  const group = (g: string) => {
    if (!groups.has(g)) groups.set(g, { money: {}, synced: 0, failed: 0, skipped: 0, minutes: 0 });
    return groups.get(g)!;
  };
  for (const m of money) group(m.g).money[m.currency] = Number(m.v);
  for (const c of counts) {
    const x = group(c.g);
    x.synced += Number(c.s);
    x.failed += Number(c.f);
    x.skipped += Number(c.k);
    x.minutes += Number(c.s) * minutesFor(c.integration, c.flow, c.record_type);
  }
  return groups;
}

/** Records whose latest synced-or-failed attempt before `asOf` failed, recomputed from raw events. */
async function rawAtRisk(asOf: number, tenant: string | undefined, groupSql: string) {
  const rows = await raw(
    `SELECT ${groupSql} AS g, if(o.3 = 1, o.4, '') AS currency, count() AS records, toString(sum(toDecimal128(o.2, 6))) AS v
     FROM (
       SELECT tenant, integration, record_id, argMax((type, record_value, has_value, currency, flow), (ts, event_id)) AS o
       FROM events FINAL
       WHERE type IN ('record.synced', 'record.failed') AND ts < {asOf:DateTime64(3)} AND {scope}
       GROUP BY tenant, integration, record_id
     ) WHERE o.1 = 'record.failed'
     GROUP BY g, currency`,
    { from: 0, to: 0 },
    tenant,
    { asOf: toChTime(asOf) },
  );
  const groups = new Map<string, { money: Record<string, number>; records: number }>();
  for (const row of rows) {
    const x = groups.get(row.g) ?? { money: {}, records: 0 };
    x.records += Number(row.records);
    if (row.currency !== '') x.money[row.currency] = Number(row.v);
    groups.set(row.g, x);
  }
  return groups;
}

function convertedTotal(money: Record<string, number>): number {
  let total = 0;
  for (const c of Object.keys(money).sort()) if (RATES[c] !== undefined) total += money[c] * RATES[c];
  return round(total, 2);
}

type Figures = {
  money_moved: { total: number; by_currency: Record<string, number>; unconverted_currencies: string[] };
  records_moved: number;
  records_failed: number;
  records_skipped: number;
  time_saved: { minutes: number; value: number };
  value_at_risk: { total: number; records: number; by_currency: Record<string, number> } | null;
};

function assertFigures(
  api: Figures,
  moved: { money: Record<string, number>; synced: number; failed: number; skipped: number; minutes: number } | undefined,
  risk: { money: Record<string, number>; records: number } | undefined | null,
  where: string,
) {
  const m = moved ?? { money: {}, synced: 0, failed: 0, skipped: 0, minutes: 0 };
  assert.deepEqual(api.money_moved.by_currency, m.money, `${where}: money moved per currency`);
  assert.equal(api.money_moved.total, convertedTotal(m.money), `${where}: money moved converted`);
  assert.deepEqual(api.money_moved.unconverted_currencies, Object.keys(m.money).filter((c) => RATES[c] === undefined).sort(), `${where}: unconverted`);
  assert.equal(api.records_moved, m.synced, `${where}: records moved`);
  assert.equal(api.records_failed, m.failed, `${where}: records failed`);
  assert.equal(api.records_skipped, m.skipped, `${where}: records skipped`);
  assert.equal(api.time_saved.minutes, m.minutes, `${where}: minutes saved`);
  assert.equal(api.time_saved.value, round((m.minutes / 60) * HOURLY_COST, 2), `${where}: time saved value`);
  if (risk === null) return assert.equal(api.value_at_risk, null, `${where}: no value at risk per day`);
  const r = risk ?? { money: {}, records: 0 };
  assert.equal(api.value_at_risk?.records, r.records, `${where}: records at risk`);
  assert.deepEqual(api.value_at_risk?.by_currency, r.money, `${where}: value at risk per currency`);
  assert.equal(api.value_at_risk?.total, convertedTotal(r.money), `${where}: value at risk converted`);
}

const GROUPINGS = {
  integration: { sql: 'integration', risk: 'integration', key: (g: { integration?: string }) => g.integration ?? '' },
  flow: { sql: "concat(integration, '/', flow)", risk: "concat(integration, '/', o.5)", key: (g: { integration?: string; flow?: string }) => `${g.integration}/${g.flow}` },
  day: { sql: 'toString(toDate(ts))', risk: null, key: (g: { day?: string }) => g.day ?? '' },
} as const;

before(async () => {
  configDir = mkdtempSync(path.join(tmpdir(), 'syncwatch-rollup-'));
  writeFileSync(path.join(configDir, 'config.yaml'), CONFIG);
  svc = await startTestService({ SYNCWATCH_ADMIN_KEY: ADMIN, SYNCWATCH_INGEST_KEY: INGEST, SYNCWATCH_CONFIG: path.join(configDir, 'config.yaml') });
  const post = async (batch: unknown[]) => {
    const res = await request(svc.server).post('/v1/events').set('Authorization', `Bearer ${INGEST}`).send(batch);
    assert.equal(res.status, 202);
    assert.deepEqual(res.body.rejected, []);
  };
  for (const batch of workload.batches) await post(batch);
  await svc.ingest.batcher.flush();
  // Re-send some batches after they are stored: still counted once.
  for (const batch of workload.batches.slice(0, 3)) await post(batch);
  await svc.ingest.batcher.flush();
});
after(async () => {
  await svc.stop();
  rmSync(configDir, { recursive: true, force: true });
});

describe(`rollups equal raw recomputation (seed ${SEED})`, () => {
  test('the store holds each workload event exactly once', async () => {
    const [row] = await svc.driver.query<{ n: string }>({ name: 'test.count', sql: 'SELECT count() AS n FROM events FINAL' });
    assert.equal(Number(row.n), workload.events.length);
    const [plain] = await svc.driver.query<{ n: string }>({ name: 'test.count', sql: 'SELECT count() AS n FROM events' });
    assert.equal(Number(plain.n), workload.events.length);
  });

  for (const [name, r] of Object.entries(WINDOWS)) {
    test(`failures over ${name}`, async () => {
      for (const tenant of SCOPES) {
        const where = `${name}, ${tenant ?? 'all tenants'}`;
        const api = await get('/v1/failures', { tenant, from: iso(r.from), to: iso(r.to) });
        const groups = await raw(
          `SELECT failure_category AS category, failure_code AS code, count() AS count,
                  uniqExactIf((tenant, integration, record_id), record_id != '') AS affected_records,
                  uniqExactIf((tenant, integration, run), record_id = '') AS affected_runs,
                  min(ts) AS first_seen, max(ts) AS last_seen
           FROM events FINAL WHERE failure_category != '' AND ${IN_RANGE}
           GROUP BY category, code ORDER BY category, code`,
          r,
          tenant,
        );
        const apiGroups = [...api.groups].sort((a, b) => `${a.category}/${a.code}`.localeCompare(`${b.category}/${b.code}`));
        assert.deepEqual(
          apiGroups.map((g) => [g.category, g.code, g.count, g.affected_records, g.affected_runs, g.first_seen, g.last_seen]),
          groups.map((g) => [g.category, g.code, Number(g.count), Number(g.affected_records), Number(g.affected_runs), chIso(g.first_seen), chIso(g.last_seen)]),
          `${where}: groups`,
        );
        assert.equal(api.total, groups.reduce((s, g) => s + Number(g.count), 0), `${where}: total`);

        const bucketSql = api.bucket === 'hour' ? 'toStartOfHour(ts)' : 'toStartOfDay(ts)';
        const series = await raw(
          `SELECT toString(${bucketSql}) AS t, failure_category AS c, count() AS n FROM events FINAL
           WHERE failure_category != '' AND ${IN_RANGE} GROUP BY t, c ORDER BY t, c`,
          r,
          tenant,
        );
        const expected = new Map<string, Record<string, number>>();
        for (const s of series) {
          const t = chIso(s.t);
          expected.set(t, { ...(expected.get(t) ?? {}), [s.c]: Number(s.n) });
        }
        const nonZero = api.series.filter((p: { total: number }) => p.total > 0);
        assert.deepEqual(
          nonZero.map((p: Record<string, number | string>) => [p.time, Object.fromEntries(['infra', 'endpoint', 'data'].filter((c) => p[c]).map((c) => [c, p[c]]))]),
          [...expected.entries()],
          `${where}: series`,
        );

        const examples = await raw(
          `SELECT category, code, tenant, integration, record_id, run, message, toString(ts) AS time FROM (
             SELECT failure_category AS category, failure_code AS code, tenant, integration, record_id, run, message, ts
             FROM events FINAL WHERE failure_category != '' AND ${IN_RANGE}
             ORDER BY ts DESC, record_id, run
             LIMIT 1 BY category, code, tenant, integration, record_id, if(record_id = '', run, ''))
           ORDER BY category, code, time DESC, record_id, run
           LIMIT 10 BY category, code`,
          r,
          tenant,
        );
        const apiExamples = apiGroups.flatMap((g) =>
          g.examples.map((e: Record<string, string>) => [g.category, g.code, e.tenant, e.integration, e.record_id ?? '', e.run ?? '', e.message, e.time]),
        );
        assert.deepEqual(
          apiExamples,
          examples.map((e) => [e.category, e.code, e.tenant, e.integration, e.record_id, e.run, e.message, chIso(e.time)]),
          `${where}: examples`,
        );
      }
    });

    test(`value over ${name}`, async () => {
      const prev: Range = { from: 2 * r.from - r.to, to: r.from };
      for (const tenant of SCOPES) {
        for (const [by, grouping] of Object.entries(GROUPINGS)) {
          const where = `${name}, ${tenant ?? 'all tenants'}, by ${by}`;
          const api = await get('/v1/value', { tenant, from: iso(r.from), to: iso(r.to), group_by: by });
          const total = await rawMoved(r, tenant, "''");
          const risk = await rawAtRisk(r.to, tenant, "''");
          assertFigures(api, total.get(''), risk.get(''), where);
          assertFigures(api.previous, (await rawMoved(prev, tenant, "''")).get(''), (await rawAtRisk(prev.to, tenant, "''")).get(''), `${where}, previous`);

          const moved = await rawMoved(r, tenant, grouping.sql);
          const groupRisk = grouping.risk ? await rawAtRisk(r.to, tenant, grouping.risk) : null;
          const prevMoved = grouping.risk ? await rawMoved(prev, tenant, grouping.sql) : null;
          const prevRisk = grouping.risk ? await rawAtRisk(prev.to, tenant, grouping.risk) : null;
          const keys = new Set<string>([...moved.keys(), ...(groupRisk?.keys() ?? []), ...(prevMoved?.keys() ?? []), ...(prevRisk?.keys() ?? [])]);
          const apiKeys = api.groups.map(grouping.key);
          for (const k of keys) assert.ok(apiKeys.includes(k), `${where}: group ${k} is listed`);
          for (const g of api.groups) {
            const k = grouping.key(g);
            assertFigures(g, moved.get(k), groupRisk ? groupRisk.get(k) : null, `${where}, group ${k}`);
            if (prevMoved && prevRisk) assertFigures(g.previous, prevMoved.get(k), prevRisk.get(k), `${where}, group ${k}, previous`);
          }
        }
      }
    });
  }
});
