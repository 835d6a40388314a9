/**
 * Value at risk across calendar months: the last sync before a cut-off comes from the
 * monthly rollup (record_synced_monthly, migration 060) for the months before the
 * cut-off's month and from record_events for its own month. A randomised workload over
 * four months, with attempts on and around month starts, must equal a recomputation from
 * raw `events FINAL` at cut-offs on, just before, just after and between month starts,
 * asked one at a time and together. The store is first migrated without 060 and holds
 * half the events when 060 runs, so the rollup's backfill of existing rows is checked as
 * well as its view (the other half arrives afterwards, out of order). The status page's
 * failing records read the same rollup (migration 061 dropped record_latest) and are
 * checked against raw events the same way. The failure side reads its own monthly rollup
 * (record_failed_monthly, migration 070) the same way; 070 also runs on the half-filled
 * store, so its backfill and its view are both exercised.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { queryAtRiskAsOf } from '../../src/insights/value-at-risk.js';
import { EmbeddedDriver, fromChTime, migrate, readMigrations, toChTime, type Driver } from '../../src/store/index.js';
import { getFailingRecords } from '../../src/views/index.js';
import { rawAtRisk } from '../support/raw-at-risk.js';

const SEED = Number(process.env.SYNCWATCH_TEST_SEED ?? 60_060);
const DAY = 86_400_000;
const MONTHS = [Date.UTC(2026, 0, 1), Date.UTC(2026, 1, 1), Date.UTC(2026, 2, 1), Date.UTC(2026, 3, 1), Date.UTC(2026, 4, 1)];

/** mulberry32: a small seeded generator, so a failure can be replayed with its seed. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const random = rng(SEED);
const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)];

/** An attempt time: mostly anywhere in Jan–Apr, often on or a millisecond either side of a month start. */
function attemptTime(): number {
  const r = random();
  if (r < 0.3) return pick(MONTHS.slice(1, 4)) + pick([-1, 0, 0, 1]);
  return MONTHS[0] + Math.floor(random() * (MONTHS[4] - MONTHS[0] - DAY));
}

const rows = Array.from({ length: 900 }, (_, n) => {
  const tenant = pick(['acme', 'globex']);
  const integration = pick(['salesforce', 'hubspot']);
  const status = pick(['synced', 'synced', 'failed', 'failed', 'skipped']);
  const hasValue = random() < 0.8;
  const ts = toChTime(attemptTime());
  return {
    event_id: `e-${String(n).padStart(4, '0')}-${Math.floor(random() * 100)}`,
    type: `record.${status}`,
    ts,
    received_at: ts,
    tenant,
    integration,
    connection: `${tenant}-${integration}`,
    flow: pick(['orders.export', 'orders.import']),
    run: `run-${n % 40}`,
    record_id: `R${Math.floor(random() * 25)}`,
    record_type: 'order',
    record_value: hasValue ? Math.round(random() * 10_000) / 100 : 0,
    has_value: hasValue ? 1 : 0,
    currency: hasValue ? pick(['USD', 'EUR']) : '',
    failure_category: status === 'failed' ? 'data' : '',
    failure_code: status === 'failed' ? 'validation' : '',
    source: 'event',
  };
});

const CUTS = [
  MONTHS[1],
  MONTHS[1] - 1,
  MONTHS[1] + 1,
  MONTHS[2],
  MONTHS[2] + 1,
  MONTHS[2] + 14 * DAY + 3_600_000,
  MONTHS[3] - 1,
  MONTHS[3],
  MONTHS[3] + 20 * DAY,
  MONTHS[4],
].map((t) => new Date(t));

let dir: string;
let driver: Driver;

/** Records whose latest synced-or-failed attempt before `asOf` failed, straight from events. */
const raw = (asOf: Date, f: { tenant?: string; integration?: string; flow?: string }) => rawAtRisk(driver, asOf, f);

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'syncwatch-at-risk-months-'));
  driver = new EmbeddedDriver(dir);
  await migrate(
    driver,
    readMigrations().filter((m) => m.version < 60),
  );
  await driver.insert('events', rows.filter((_, i) => i % 2 === 0));
  await migrate(driver); // 060 backfills the rollup from the syncs stored so far
  await driver.insert('events', rows.filter((_, i) => i % 2 === 1).reverse());
});
after(async () => {
  await driver.close();
  rmSync(dir, { recursive: true, force: true });
});

describe(`value at risk across months equals raw recomputation (seed ${SEED})`, () => {
  test('the rollup was filled by both the backfill and the view', async () => {
    const [{ n }] = await driver.query<{ n: string }>({
      name: 'test.rollup_rows',
      sql: `SELECT count() AS n FROM (SELECT tenant, integration, record_key, month, max(last_synced_at) AS t
              FROM record_synced_monthly GROUP BY tenant, integration, record_key, month)`,
    });
    const [{ m }] = await driver.query<{ m: string }>({
      name: 'test.raw_months',
      sql: `SELECT count() AS m FROM (SELECT DISTINCT tenant, integration, record_id, toStartOfMonth(ts) FROM events WHERE type = 'record.synced')`,
    });
    assert.equal(Number(n), Number(m));
    assert.ok(Number(m) > 100, `a workload that spans many records and months (${m})`);
  });

  test('the failure rollup was filled by both the backfill and the view, one row per record and month', async () => {
    // Each record and month's last failure time, from the rollup and from raw events.
    const [{ rollup }] = await driver.query<{ rollup: string[] }>({
      name: 'test.failure_rollup_rows',
      sql: `SELECT arraySort(groupArray(concat(toString(month), '/', toString(t), '/', f))) AS rollup FROM (
              SELECT month, max(last_failed_at) AS t, splitByChar('\\0', max(last_failure))[2] AS f
              FROM record_failed_monthly GROUP BY tenant, integration, record_key, month)`,
    });
    const [{ events }] = await driver.query<{ events: string[] }>({
      name: 'test.raw_failure_months',
      sql: `SELECT arraySort(groupArray(concat(toString(month), '/', toString(t), '/', f))) AS events FROM (
              SELECT toStartOfMonth(ts) AS month, max(ts) AS t, argMax(record_id, (ts, event_id)) AS f
              FROM events FINAL WHERE type = 'record.failed' GROUP BY tenant, integration, record_id, month)`,
    });
    assert.deepEqual(rollup, events);
    assert.ok(events.length > 100, `a workload that spans many records and months (${events.length})`);
  });

  const scopes = [{}, { tenant: 'acme' }, { tenant: 'globex', integration: 'hubspot' }, { tenant: 'acme', flow: 'orders.import' }];
  for (const scope of scopes) {
    test(`every cut-off, alone and together (${JSON.stringify(scope)})`, async () => {
      const together = await queryAtRiskAsOf(driver, scope, CUTS);
      for (const [i, cut] of CUTS.entries()) {
        const expected = await raw(cut, scope);
        assert.ok(i < 1 || expected.length > 0 || Object.keys(scope).length > 0, `a cut-off with records at risk (${cut.toISOString()})`);
        assert.deepEqual(together[i], expected, `as of ${cut.toISOString()}, asked together`);
        assert.deepEqual((await queryAtRiskAsOf(driver, scope, [cut]))[0], expected, `as of ${cut.toISOString()}, asked alone`);
      }
    });
  }

  test('a period end and the previous one, as getValue asks them', async () => {
    for (const [prev, end] of [[CUTS[0], CUTS[3]], [CUTS[3], CUTS[7]], [CUTS[5], CUTS[8]]]) {
      const [a, b] = await queryAtRiskAsOf(driver, { tenant: 'acme' }, [end, prev]);
      assert.deepEqual(a, await raw(end, { tenant: 'acme' }));
      assert.deepEqual(b, await raw(prev, { tenant: 'acme' }));
    }
  });
});

/** A tenant's records whose last failure is at or after `from` and after their last sync, straight from events. */
async function rawFailing(tenant: string, from: Date) {
  const found = await driver.query<{ integration: string; record_id: string; failed: string }>({
    name: 'test.raw_failing',
    sql: `SELECT integration, record_id, maxIf(ts, type = 'record.failed') AS failed
          FROM events FINAL
          WHERE tenant = {tenant:String} AND type IN ('record.synced', 'record.failed')
          GROUP BY integration, record_id
          HAVING failed >= {from:DateTime64(3, 'UTC')} AND failed > maxIf(ts, type = 'record.synced')
          ORDER BY failed DESC, integration, record_id`,
    params: { tenant, from: toChTime(from.getTime()) },
  });
  return found.map((r) => `${r.integration}/${r.record_id}@${fromChTime(r.failed)}`);
}

describe(`failing records on the status page equal raw recomputation (seed ${SEED})`, () => {
  for (const tenant of ['acme', 'globex']) {
    test(`${tenant}, from month starts, mid-month and the first event`, async () => {
      for (const from of [MONTHS[0], MONTHS[1], MONTHS[2] + 1, MONTHS[2] + 10 * DAY, MONTHS[3] - 1, MONTHS[3]].map((t) => new Date(t))) {
        const expected = await rawFailing(tenant, from);
        assert.ok(expected.length > 0 || from.getTime() >= MONTHS[3], `records failing since ${from.toISOString()}`);
        const got = await getFailingRecords(driver, { tenant, from, limit: 1000 });
        assert.deepEqual(got.map((r) => `${r.integration}/${r.record_id}@${r.failed_at}`), expected, `since ${from.toISOString()}`);
      }
    });
  }
});
