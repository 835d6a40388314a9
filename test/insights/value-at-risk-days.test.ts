/**
 * Value at risk with cut-offs inside a day: the syncs of a cut-off's own month come from
 * the daily rollup (record_synced_daily, migration 076) for the whole days before the
 * cut-off's day and from record_events only for the cut-off's own day. A randomised
 * workload over two months, dense around a few days (attempts on and a millisecond
 * either side of day starts, on the cut-off's own day before and after it, and syncs and
 * failures of one record in the same millisecond), must equal a recomputation from raw
 * `events FINAL` at cut-offs at any millisecond of a day, asked alone and together. The
 * store holds half the events when 076 runs, so the backfill and the view are both checked.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { queryAtRiskAsOf } from '../../src/insights/value-at-risk.js';
import { EmbeddedDriver, migrate, readMigrations, type Driver } from '../../src/store/index.js';
import { rawAtRisk } from '../support/raw-at-risk.js';
import { createRandom } from '../../src/demo/random.js';
import { recordEvent } from '../support/record-event.js';

const SEED = Number(process.env.SYNCWATCH_TEST_SEED ?? 80_080);
const DAY = 86_400_000;
const START = Date.UTC(2026, 9, 1);
// Days the cut-offs fall on: a month's first, a mid-month day, the month's last, the next month's 3rd.
const CUT_DAYS = [START, START + 14 * DAY, START + 30 * DAY, START + 33 * DAY];

const random = createRandom(SEED).next;
const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)];
const within = (from: number, span: number) => from + Math.floor(random() * span);

// Cut-offs: random milliseconds of each cut-off day, its start, a millisecond either side,
// its last millisecond.
const cutTimes = CUT_DAYS.flatMap((d) => [d, d - 1, d + 1, d + DAY - 1, within(d, DAY), within(d, DAY), within(d, 3_600_000)]);

/** An attempt time: anywhere in the two months, or near a cut-off day (often exactly at a cut-off). */
function attemptTime(): number {
  const r = random();
  if (r < 0.2) return pick(cutTimes) + pick([-1, 0, 0, 1]);
  if (r < 0.5) return within(pick(CUT_DAYS) - DAY, 2 * DAY);
  if (r < 0.6) return pick(CUT_DAYS) + pick([-DAY, 0, DAY]) + pick([-1, 0, 1]);
  return within(START - 20 * DAY, 60 * DAY);
}

const event = (n: number, status: string, ts: number, tenant: string, integration: string, recordId: string) =>
  recordEvent({ random, pick }, { id: () => `e-${String(n).padStart(4, '0')}-${Math.floor(random() * 100)}`, status, ts, tenant, integration, recordId, run: `run-${n % 30}` });

const rows = Array.from({ length: 1000 }, (_, n) => {
  const tenant = pick(['acme', 'globex']);
  const integration = pick(['salesforce', 'hubspot']);
  return event(n, pick(['synced', 'synced', 'failed', 'failed', 'skipped']), attemptTime(), tenant, integration, `R${Math.floor(random() * 30)}`);
});
// A sync and a failure of one record in the same millisecond, on cut-off days.
for (let k = 0; k < 40; k++) {
  const [tenant, integration, recordId, ts] = [pick(['acme', 'globex']), pick(['salesforce', 'hubspot']), `R${Math.floor(random() * 30)}`, pick(cutTimes) - pick([1, 2, 0])];
  rows.push(event(2000 + 2 * k, 'synced', ts, tenant, integration, recordId), event(2001 + 2 * k, 'failed', ts, tenant, integration, recordId));
}

let dir: string;
let driver: Driver;

/** Records whose latest synced-or-failed attempt before `asOf` failed, straight from events. */
const raw = (asOf: Date, f: { tenant?: string; integration?: string; flow?: string }) => rawAtRisk(driver, asOf, f);

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'syncwatch-at-risk-days-'));
  driver = new EmbeddedDriver(dir);
  await migrate(driver, readMigrations().filter((m) => m.version < 76));
  await driver.insert('events', rows.filter((_, i) => i % 2 === 0));
  await migrate(driver); // 076 backfills the daily rollup from the syncs stored so far
  await driver.insert('events', rows.filter((_, i) => i % 2 === 1).reverse());
});
after(async () => {
  await driver.close();
  rmSync(dir, { recursive: true, force: true });
});

describe(`value at risk with cut-offs inside a day equals raw recomputation (seed ${SEED})`, () => {
  test('the daily rollup holds each record and day its last sync, from both the backfill and the view', async () => {
    const [{ rollup }] = await driver.query<{ rollup: string[] }>({
      name: 'test.daily_rollup_rows',
      sql: `SELECT arraySort(groupArray(concat(tenant, '/', integration, '/', toString(record_key), '/', toString(day), '/', toString(t)))) AS rollup
            FROM (SELECT tenant, integration, record_key, day, max(last_synced_at) AS t FROM record_synced_daily GROUP BY tenant, integration, record_key, day)`,
    });
    const [{ events }] = await driver.query<{ events: string[] }>({
      name: 'test.raw_sync_days',
      sql: `SELECT arraySort(groupArray(concat(tenant, '/', integration, '/', toString(record_key), '/', toString(day), '/', toString(t)))) AS events
            FROM (SELECT tenant, integration, record_key, toDate(ts) AS day, max(ts) AS t FROM record_events WHERE status = 'synced'
                  GROUP BY tenant, integration, record_key, day)`,
    });
    assert.deepEqual(rollup, events);
    assert.ok(events.length > 200, `a workload over many records and days (${events.length})`);
  });

  const scopes = [{}, { tenant: 'acme' }, { tenant: 'globex', integration: 'hubspot' }, { tenant: 'acme', flow: 'orders.import' }];
  for (const scope of scopes) {
    test(`cut-offs at any millisecond of a day, alone and together (${JSON.stringify(scope)})`, async () => {
      const cuts = cutTimes.map((t) => new Date(t));
      const together = await queryAtRiskAsOf(driver, scope, cuts);
      let atRisk = 0;
      for (const [i, cut] of cuts.entries()) {
        const expected = await raw(cut, scope);
        atRisk += expected.length;
        assert.deepEqual(together[i], expected, `as of ${cut.toISOString()}, asked together`);
        assert.deepEqual((await queryAtRiskAsOf(driver, scope, [cut]))[0], expected, `as of ${cut.toISOString()}, asked alone`);
      }
      assert.ok(atRisk > 0, 'some cut-off has records at risk');
    });
  }

  test('last 30 days and the 30 before, as getValue asks them, ending at random milliseconds', async () => {
    for (let k = 0; k < 6; k++) {
      const end = new Date(within(START + 30 * DAY, 5 * DAY));
      const prev = new Date(end.getTime() - 30 * DAY);
      const [a, b] = await queryAtRiskAsOf(driver, {}, [end, prev]);
      assert.deepEqual(a, await raw(end, {}), `as of ${end.toISOString()}`);
      assert.deepEqual(b, await raw(prev, {}), `as of ${prev.toISOString()}`);
    }
  });
});
