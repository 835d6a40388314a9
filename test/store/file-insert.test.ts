// The embedded driver inserts event_ids through file() (a faster path in chDB than its
// Node insert): the stored rows must be the very rows a plain JSONEachRow insert stores.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { EmbeddedDriver, migrate } from '../../src/store/index.js';

let dir: string;
let driver: EmbeddedDriver;

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "syncwatch-file-insert-it's-"));
  driver = new EmbeddedDriver(dir);
  await migrate(driver);
  // Same columns and engine, but not one of the tables the driver inserts through file().
  await driver.command('CREATE TABLE event_ids_plain AS event_ids');
});

after(async () => {
  await driver.close();
  rmSync(dir, { recursive: true, force: true });
});

const dump = async (table: string) =>
  driver.query({ name: 'dump', sql: `SELECT * FROM ${table} ORDER BY event_id, tenant FORMAT JSONEachRow` });

test('ids inserted through file() are stored exactly as a plain JSONEachRow insert stores them', async () => {
  const rows = Array.from({ length: 200 }, (_, i) => ({
    event_id: i % 7 ? `e-${i}` : `é "quoted"\ttab\nnewline ${i}`,
    tenant: `t${i % 3}`,
    received_at: `2026-11-0${1 + (i % 9)} 10:00:0${i % 10}.${String(i).padStart(3, '0').slice(-3)}`,
  }));
  await driver.insert('event_ids', rows);
  await driver.insert('event_ids_plain', rows);
  const viaFile = await dump('event_ids');
  assert.equal(viaFile.length, 200);
  assert.deepEqual(viaFile, await dump('event_ids_plain'));
  assert.deepEqual(readdirSync(path.join(dir, 'insert-payloads')), [], 'no payload file is left behind');
});

test('a payload file left by a crash is removed when the store opens again', async () => {
  const left = path.join(dir, 'insert-payloads', 'left-by-a-crash.JSONEachRow');
  writeFileSync(left, '{}\n');
  await driver.close();
  driver = new EmbeddedDriver(dir);
  assert.equal(existsSync(left), false);
  assert.equal((await dump('event_ids')).length, 200, 'the stored rows are still there');
});
