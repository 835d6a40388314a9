/**
 * Migration 075 replaces the record_attempts table (a near-copy of every record event,
 * filled by a materialised view) with record_events, a plain view over events. A store
 * migrated before it, holding record events, must read the same rows after it; the
 * record look-ups (GET /v1/records) must equal a recomputation from raw events,
 * re-inserted events included (records.attempts reads events FINAL); and events must no
 * longer feed a copy.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { EmbeddedDriver, fromChTime, getRecordAttempts, getRecordStatus, migrate, readMigrations, type Driver } from '../../src/store/index.js';

let dir: string;
let driver: Driver;
before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'syncwatch-record-events-'));
  driver = new EmbeddedDriver(dir);
});
after(async () => {
  await driver.close();
  rmSync(dir, { recursive: true, force: true });
});

/** `n` events of 40 records over 3 integrations, types and times drawn from `seed`; ~1/3 are not record events. */
const insertEvents = (seed: number, n: number, idPrefix: string) =>
  driver.command(
    `INSERT INTO events (event_id, type, ts, received_at, tenant, integration, connection, flow, run, record_id, record_type,
                         record_value, has_value, currency, failure_category, failure_code, message, source)
     SELECT concat({p:String}, toString(number)) AS event_id,
            ['record.synced', 'record.failed', 'record.skipped', 'record.synced', 'run.started', 'run.succeeded'][cityHash64(number, {s:UInt32}, 1) % 6 + 1] AS type,
            toDateTime64('2026-10-01 00:00:00', 3, 'UTC') + toIntervalMillisecond(cityHash64(number, {s:UInt32}, 2) % (60 * 86400000)) AS ts,
            ts AS received_at,
            ['t1', 't2'][cityHash64(number, {s:UInt32}, 3) % 2 + 1] AS tenant,
            ['salesforce', 'netsuite', 'hubspot'][cityHash64(number, {s:UInt32}, 4) % 3 + 1] AS integration,
            concat(tenant, '-', integration) AS connection,
            ['orders.export', 'contacts.import'][cityHash64(number, {s:UInt32}, 5) % 2 + 1] AS flow,
            concat('run-', toString(intDiv(number, 7))) AS run,
            if(type LIKE 'record.%', concat('SO-', toString(cityHash64(number, {s:UInt32}, 6) % 40)), '') AS record_id,
            if(type LIKE 'record.%', 'order', '') AS record_type,
            if(type LIKE 'record.%', (cityHash64(number, {s:UInt32}, 7) % 10000) / 100, 0) AS record_value,
            if(type LIKE 'record.%', 1, 0) AS has_value,
            if(has_value = 1, ['USD', 'EUR'][cityHash64(number, {s:UInt32}, 8) % 2 + 1], '') AS currency,
            if(type = 'record.failed', 'endpoint', '') AS failure_category,
            if(type = 'record.failed', 'http_500', '') AS failure_code,
            if(type IN ('record.failed', 'record.skipped'), concat('no ', record_id), '') AS message,
            'event' AS source
     FROM numbers({n:UInt32})`,
    { p: idPrefix, s: seed, n },
  );

const ROWS = `SELECT tenant, record_id, integration, connection, flow, toString(ts) AS ts, run, toString(status) AS status, record_type,
                     record_value, has_value, currency, failure_category, failure_code, message, event_id, toString(record_key) AS record_key`;

const tables = async () =>
  (await driver.query<{ name: string; engine: string }>({ name: 't', sql: 'SELECT name, engine FROM system.tables WHERE database = currentDatabase() AND name LIKE {p:String} ORDER BY name', params: { p: 'record_%' } }))
    .map((r) => `${r.name}:${r.engine}`);

test('a store migrated before 075 reads the same record rows after it, and events no longer feed a copy', async () => {
  await migrate(driver, readMigrations().filter((m) => m.version < 75));
  await insertEvents(75, 3000, 'a-');
  const before = await driver.query({ name: 't', sql: `${ROWS} FROM record_attempts FINAL ORDER BY event_id` });
  assert.ok(before.length > 1500, 'the workload has record events');

  assert.deepEqual(await migrate(driver, readMigrations().filter((m) => m.version <= 75)), ['075_create_record_events']);
  assert.ok(!(await tables()).some((t) => t.startsWith('record_attempts')), `record_attempts and its view are gone: ${await tables()}`);
  assert.ok((await tables()).includes('record_events:View'));
  assert.deepEqual(await driver.query({ name: 't', sql: `${ROWS} FROM record_events ORDER BY event_id` }), before);

  // New events reach the view through events alone; the only materialised views left on record rows are the narrow rollups.
  await insertEvents(76, 2000, 'b-');
  const [{ n }] = await driver.query<{ n: string }>({ name: 't', sql: "SELECT count() AS n FROM events WHERE type LIKE 'record.%'" });
  const [{ m }] = await driver.query<{ m: string }>({ name: 't', sql: 'SELECT count() AS m FROM record_events' });
  assert.equal(Number(m), Number(n));
  await migrate(driver); // the later migrations, for the next test
});

test('record look-ups equal a recomputation from raw events, re-inserted events counted once', async () => {
  // The same events again (a crash between the insert and the id record): events keeps both rows until a merge.
  await insertEvents(76, 500, 'b-');
  type Raw = { tenant: string; integration: string; record_id: string; type: string; ts: string; event_id: string; flow: string; run: string; message: string };
  const raw = await driver.query<Raw>({
    name: 't',
    sql: "SELECT tenant, integration, record_id, type, toString(ts) AS ts, event_id, flow, run, message FROM events FINAL WHERE type LIKE 'record.%'",
  });
  const byKey = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const cmp = (a: Raw, b: Raw) => byKey(a.ts, b.ts) || byKey(a.event_id, b.event_id);
  let checked = 0;
  for (const tenant of ['t1', 't2']) {
    for (const recordId of ['SO-0', 'SO-7', 'SO-19', 'SO-39', 'SO-404']) {
      const mine = raw.filter((r) => r.tenant === tenant && r.record_id === recordId).sort(cmp);
      const attempts = await getRecordAttempts(driver, { tenant, recordId });
      assert.deepEqual(
        attempts.map((a) => [a.time, a.integration, a.flow, a.run, a.status, a.failure?.message ?? a.reason ?? '']),
        mine.map((r) => [fromChTime(r.ts), r.integration, r.flow, r.run, r.type.replace('record.', ''), r.message]),
        `${tenant}/${recordId}`,
      );
      const status = await getRecordStatus(driver, { tenant, recordId });
      const last = (t: string) => mine.filter((r) => r.type === t).map((r) => fromChTime(r.ts)).reduce<string | null>((x, y) => (x === null || y > x ? y : x), null);
      const failed = last('record.failed');
      const synced = last('record.synced');
      assert.deepEqual(status, {
        status: mine.length ? mine.at(-1)!.type.replace('record.', '') : null,
        resolvedByLaterSync: failed !== null && synced !== null && synced > failed,
        lastSyncedAt: synced,
        lastFailedAt: failed,
      }, `${tenant}/${recordId}`);
      checked += mine.length;
    }
  }
  assert.ok(checked > 100, `look-ups covered ${checked} attempts`);
});
