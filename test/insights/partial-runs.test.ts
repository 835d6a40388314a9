/**
 * Partial runs of health (runs whose last terminal event is in the window, whose outcome
 * by (event time, event id) is succeeded, and which have a failed record at any time)
 * read from run_ends and run_failed (migration 071) must equal a recomputation from raw
 * `events FINAL`, for every tenant at once and for one. The randomised runs have zero to
 * three terminal events (so a later one can move a run's end out of the window or turn
 * its outcome), failed records before the window, inside it and after the run's end, and
 * arrive shuffled in several inserts. The store is first migrated without 071 and holds
 * half the events when 071 runs, so its backfill is checked as well as its views.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { getFlowCounts } from '../../src/insights/health-stats.js';
import { EmbeddedDriver, migrate, readMigrations, toChTime, type Driver } from '../../src/store/index.js';
import { prng } from '../support/random-workload.js';

const SEED = Number(process.env.SYNCWATCH_TEST_SEED ?? 71_071);
const H = 3_600_000;
const NOW = Date.UTC(2026, 5, 10, 12, 0, 0);
const random = prng(SEED);
const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)];

interface Row { event_id: string; type: string; ts: string; received_at: string; tenant: string; integration: string; connection: string; flow: string; run: string; record_id: string; failure_category: string; failure_code: string; source: string }

const rows: Row[] = [];
let n = 0;
for (let r = 0; r < 400; r++) {
  const tenant = pick(['acme', 'globex', 'initech']);
  const integration = pick(['salesforce', 'hubspot']);
  const flow = pick(['orders.export', 'contacts.import']);
  const run = `run-${r % 150}`; // the same run id in other flows and tenants, as runs keep it apart
  const start = NOW - Math.floor(random() * 60 * H);
  const add = (type: string, ms: number, failed = false) => {
    const ts = toChTime(Math.min(ms, NOW + 5 * H));
    rows.push({
      event_id: `e-${String(n++).padStart(5, '0')}`, type, ts, received_at: ts, tenant, integration, connection: `${tenant}-${integration}`, flow, run,
      record_id: type.startsWith('record.') ? `R${Math.floor(random() * 30)}` : '', failure_category: failed ? 'data' : '', failure_code: failed ? 'invalid' : '', source: 'event',
    });
  };
  add('run.started', start);
  const records = Math.floor(random() * 4);
  for (let i = 0; i < records; i++) {
    const failed = random() < 0.3;
    // Mostly during the run; sometimes long before it, or after its end (late events).
    const when = random() < 0.8 ? start + random() * H : start + (random() < 0.5 ? -30 : 30) * H * random();
    add(failed ? 'record.failed' : 'record.synced', when, failed);
  }
  const ends = pick([0, 1, 1, 1, 2, 3]);
  let t = start + random() * 2 * H;
  for (let i = 0; i < ends; i++) {
    // Same-millisecond terminal events now and then, settled by event id.
    if (i > 0 && random() < 0.7) t += random() < 0.2 ? 0 : random() * 20 * H;
    add(random() < 0.7 ? 'run.succeeded' : 'run.failed', t, false);
  }
}
const shuffled = [...rows].sort(() => random() - 0.5);

let dir: string;
let driver: Driver;

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'syncwatch-partial-runs-'));
  driver = new EmbeddedDriver(dir);
  await migrate(driver, readMigrations().filter((m) => m.version < 71));
  const half = Math.floor(shuffled.length / 2);
  for (let i = 0; i < half; i += 97) await driver.insert('events', shuffled.slice(i, Math.min(i + 97, half)));
  await migrate(driver); // 071 backfills run_ends and run_failed from what is stored so far
  for (let i = half; i < shuffled.length; i += 89) await driver.insert('events', shuffled.slice(i, i + 89));
});
after(async () => {
  await driver.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Per flow: [run.succeeded events in the window, partial runs ending in it], straight from events. */
async function raw(from: number, to: number, tenant?: string): Promise<Map<string, [number, number]>> {
  const found = await driver.query<{ flow_key: string; succeeded: string; partial: string }>({
    name: 'test.raw_partial',
    sql: `SELECT flow_key, sum(succeeded) AS succeeded, sum(partial) AS partial FROM (
            SELECT concat(tenant, '/', integration, '/', connection, '/', flow) AS flow_key,
                   countIf(type = 'run.succeeded' AND ts >= {from:DateTime64(3, 'UTC')} AND ts < {to:DateTime64(3, 'UTC')}) AS succeeded,
                   maxIf(ts, type IN ('run.succeeded', 'run.failed')) AS ended,
                   argMaxIf(type, (ts, event_id), type IN ('run.succeeded', 'run.failed')) AS outcome,
                   countIf(type IN ('run.succeeded', 'run.failed')) > 0 AND ended >= {from:DateTime64(3, 'UTC')} AND ended < {to:DateTime64(3, 'UTC')}
                     AND outcome = 'run.succeeded' AND countIf(type = 'record.failed') > 0 AS partial
            FROM events FINAL
            WHERE run != '' AND ({tenant:String} = '' OR tenant = {tenant:String})
            GROUP BY tenant, integration, connection, flow, run)
          GROUP BY flow_key HAVING succeeded > 0 OR partial > 0`,
    params: { from: toChTime(from), to: toChTime(to), tenant: tenant ?? '' },
  });
  return new Map(found.map((r) => [r.flow_key, [Number(r.succeeded), Number(r.partial)]]));
}

const WINDOWS: [string, number, number][] = [
  ['last 24h', NOW - 24 * H, NOW],
  ['odd minutes, ending in the past', NOW - 40 * H - 17 * 60_000 - 123, NOW - 9 * H + 23 * 60_000],
  ['under an hour', NOW - 30 * H - 50 * 60_000, NOW - 30 * H - 5 * 60_000],
  ['everything', NOW - 200 * H, NOW + 10 * H],
];

describe(`partial runs equal raw recomputation (seed ${SEED})`, () => {
  test('run_ends and run_failed were filled by both the backfill and the views', async () => {
    const [{ ends, failed }] = await driver.query<{ ends: string; failed: string }>({
      name: 'test.rollup_rows',
      sql: `SELECT (SELECT count() FROM run_ends) AS ends, (SELECT count() FROM (SELECT run_key FROM run_failed GROUP BY run_key)) AS failed`,
    });
    const [{ e, f }] = await driver.query<{ e: string; f: string }>({
      name: 'test.raw_rows',
      sql: `SELECT countIf(type IN ('run.succeeded', 'run.failed', 'record.failed')) AS e,
                   uniqExactIf((tenant, integration, connection, flow, run), type = 'record.failed') AS f
            FROM events FINAL WHERE run != ''`,
    });
    assert.equal(Number(ends), Number(e));
    assert.equal(Number(failed), Number(f));
  });

  for (const [name, from, to] of WINDOWS) {
    for (const tenant of [undefined, 'acme']) {
      test(`${name}, ${tenant ?? 'every tenant'}`, async () => {
        const expected = await raw(from, to, tenant);
        const got = await getFlowCounts(driver, { tenant }, { from: new Date(from), to: new Date(to) });
        let partials = 0;
        for (const c of got) {
          const key = `${c.tenant}/${c.integration}/${c.connection}/${c.flow}`;
          const [succeededEvents, partialRuns] = expected.get(key) ?? [0, 0];
          // Health shows a partial run in place of one of the run.succeeded events it counts.
          const partial = Math.min(partialRuns, succeededEvents);
          assert.deepEqual([c.runs.succeeded, c.runs.partial], [succeededEvents - partial, partial], key);
          partials += partial;
          expected.delete(key);
        }
        assert.deepEqual([...expected.keys()], [], 'every flow with runs in the window is reported');
        if (name !== 'under an hour') assert.ok(partials > 0, 'the window holds partial runs');
      });
    }
  }
});
