import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { EmbeddedDriver, migrate, readMigrations, StoreError, type Driver } from '../../src/store/index.js';

let dir: string;
let driver: Driver;
before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'syncwatch-store-'));
  driver = new EmbeddedDriver(dir);
});
after(async () => {
  await driver.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('migrations', () => {
  test('are numbered files applied once, in order, and recorded', async () => {
    const all = readMigrations();
    assert.ok(all.length >= 4);
    assert.deepEqual(all.map((m) => m.version), [...all.map((m) => m.version)].sort((a, b) => a - b));
    const applied = await migrate(driver);
    assert.deepEqual(applied, all.map((m) => m.name));
    assert.deepEqual(await migrate(driver), [], 'a second run applies nothing');
    const rows = await driver.query<{ version: number }>({ name: 't', sql: 'SELECT version FROM schema_migrations ORDER BY version' });
    assert.deepEqual(rows.map((r) => Number(r.version)), all.map((m) => m.version));
  });

  test('are idempotent even when the record of them is lost (every statement is IF NOT EXISTS)', async () => {
    await driver.command('TRUNCATE TABLE schema_migrations');
    const again = await migrate(driver);
    assert.equal(again.length, readMigrations().length);
  });

  test('create the otel_traces table with the Collector exporter columns', async () => {
    const cols = await driver.query<{ name: string; type: string }>({
      name: 't',
      sql: "SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = 'otel_traces' ORDER BY position",
    });
    const byName = Object.fromEntries(cols.map((c) => [c.name, c.type]));
    assert.equal(byName.Timestamp, 'DateTime64(9)');
    assert.equal(byName.SpanAttributes, 'Map(LowCardinality(String), String)');
    assert.equal(byName.Duration, 'UInt64');
    assert.equal(byName['Events.Timestamp'], 'Array(DateTime64(9))');
    assert.equal(byName['Links.TraceId'], 'Array(String)');
  });
});

describe('driver', () => {
  test('binds parameters server-side: quotes and injection strings are data', async () => {
    const evil = "x'); DROP TABLE events; --";
    const rows = await driver.query<{ s: string; n: number }>({ name: 't', sql: 'SELECT {s:String} AS s, {n:UInt32} AS n', params: { s: evil, n: 7 } });
    assert.deepEqual(rows, [{ s: evil, n: 7 }]);
    const tables = await driver.query<{ n: string }>({ name: 't', sql: "SELECT count() AS n FROM system.tables WHERE database = currentDatabase() AND name = 'events'" });
    assert.equal(Number(tables[0].n), 1);
  });

  test('a failed query is an error naming the query, never an empty result', async () => {
    await assert.rejects(driver.query({ name: 'health.broken', sql: 'SELECT nope FROM nowhere' }), (err: Error) => {
      assert.ok(err instanceof StoreError);
      assert.match(err.message, /^health\.broken: /);
      return true;
    });
  });
});

describe('embedded session settings', () => {
  test('JIT compilation is off for every statement of the session (no one-off compile pause inside a request)', async () => {
    const rows = await driver.query<{ e: unknown; a: unknown; s: unknown }>({
      name: 't',
      sql: "SELECT getSetting('compile_expressions') AS e, getSetting('compile_aggregate_expressions') AS a, getSetting('compile_sort_description') AS s",
    });
    assert.deepEqual(rows, [{ e: false, a: false, s: false }]);
  });
});
