// The embedded driver inserts the hot ingest tables through file() (a faster path in chDB
// than its Node insert): the stored rows must be the very rows a plain JSONEachRow insert
// stores, and a repeated insert of the same payload must be dropped, as before, by the
// table and by the views it feeds.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { EmbeddedDriver, migrate, type EventRow } from '../../src/store/index.js';

let dir: string;
let driver: EmbeddedDriver;

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "syncwatch-file-insert-it's-"));
  driver = new EmbeddedDriver(dir);
  await migrate(driver);
  // Same columns and engine, but not one of the tables the driver inserts through file().
  await driver.command('CREATE TABLE events_plain AS events');
});

after(async () => {
  await driver.close();
  rmSync(dir, { recursive: true, force: true });
});

const row = (i: number, extra: Partial<EventRow> = {}): EventRow => ({
  event_id: `e-${i}`,
  type: i % 2 ? 'record.failed' : 'record.synced',
  ts: `2026-11-0${1 + (i % 9)} 10:00:0${i % 10}.${String(i).padStart(3, '0').slice(-3)}`,
  received_at: '2026-11-30 23:59:59.999',
  tenant: 't1',
  integration: 'hubspot',
  connection: `c-${i % 3}`,
  flow: 'contacts',
  run: `r-${i % 4}`,
  record_id: `rec-${i}`,
  record_type: 'contact',
  record_value: i * 1.25,
  has_value: (i % 2) as 0 | 1,
  currency: 'USD',
  failure_category: i % 2 ? 'rate_limit' : '',
  failure_code: i % 2 ? 'http_429' : '',
  message: i % 2 ? `Too many requests — "quoted"\ttab\nnewline ü ${i}` : '',
  http_status: i % 2 ? 429 : 0,
  records_total: i,
  duration_ms: 2 ** 40 + i,
  attributes: i % 3 ? { 'k.ü': `v${i}`, empty: '' } : {},
  source: 'event',
  ...(i % 4 === 1 ? { failure_retryable: 1 as const } : {}),
  ...extra,
});

const dump = async (table: string) =>
  driver.query({ name: 'dump', sql: `SELECT * FROM ${table} ORDER BY event_id FORMAT JSONEachRow` });

test('rows inserted through file() are stored exactly as a plain JSONEachRow insert stores them', async () => {
  const lines = Array.from({ length: 200 }, (_, i) => JSON.stringify(row(i)));
  await driver.insertJson('events', lines);
  await driver.insertJson('events_plain', lines);
  const viaFile = await dump('events');
  assert.equal(viaFile.length, 200);
  assert.deepEqual(viaFile, await dump('events_plain'));
  assert.deepEqual(readdirSync(path.join(dir, 'insert-payloads')), [], 'no payload file is left behind');
});

test('the same payload inserted again is dropped by the table and by its views; different rows are not', async () => {
  const count = async (sql: string) => Number((await driver.query<{ n: string }>({ name: 'count', sql }))[0].n);
  const lines = Array.from({ length: 50 }, (_, i) => JSON.stringify(row(1000 + i, { tenant: 't2' })));
  await driver.insertJson('events', lines);
  const viewRows = await count("SELECT count() AS n FROM record_attempts WHERE tenant = 't2'");
  assert.ok(viewRows > 0, 'the views took the rows');
  await driver.insertJson('events', lines);
  assert.equal(await count("SELECT count() AS n FROM events WHERE tenant = 't2'"), 50);
  assert.equal(await count("SELECT count() AS n FROM record_attempts WHERE tenant = 't2'"), viewRows);
  await driver.insertJson('events', lines.slice(0, 10).map((l) => l.replace('"e-10', '"x-10')));
  assert.equal(await count("SELECT count() AS n FROM events WHERE tenant = 't2'"), 60);
  await driver.insert('event_ids', [{ event_id: 'a', tenant: 't2', received_at: '2026-11-30 00:00:00.123' }]);
  assert.deepEqual(await dump("event_ids WHERE tenant = 't2'"), [{ event_id: 'a', tenant: 't2', received_at: '2026-11-30 00:00:00.123' }]);
});

test('a payload file left by a crash is removed when the store opens again', async () => {
  const left = path.join(dir, 'insert-payloads', 'left-by-a-crash.JSONEachRow');
  writeFileSync(left, '{}\n');
  await driver.close();
  driver = new EmbeddedDriver(dir);
  assert.equal(existsSync(left), false);
  assert.equal((await dump("events WHERE tenant = 't1'")).length, 200, 'the stored rows are still there');
});
