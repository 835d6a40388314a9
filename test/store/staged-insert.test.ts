import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { z } from 'zod';
import { EmbeddedDriver, migrate, type EventRow } from '../../src/store/index.js';
import { TEST_EPOCH } from '../support/clock.js';

// The embedded engine's bulk insert (src/store/staged-insert.ts): a file read into an
// in-memory copy of the table, then moved into it with one INSERT … SELECT.

const at = (ms: number) => new Date(TEST_EPOCH + ms).toISOString().replace('T', ' ').replace('Z', '');

function row(i: number, over: Partial<EventRow> = {}): EventRow {
  return {
    event_id: `e-${i}`,
    type: i % 10 === 0 ? 'record.failed' : 'record.synced',
    ts: at(i),
    received_at: at(i),
    tenant: `t${i % 3}`,
    integration: 'salesforce',
    connection: 'c1',
    flow: 'orders',
    run: `r${Math.floor(i / 500)}`,
    record_id: `R-${i % 7000}`,
    record_type: 'order',
    record_value: (i % 100) + 0.5,
    has_value: 1,
    currency: 'USD',
    failure_category: i % 10 === 0 ? 'data' : '',
    failure_code: i % 10 === 0 ? 'validation' : '',
    failure_retryable: 0,
    message: i % 10 === 0 ? `field ${i} is required` : '',
    http_status: i % 10 === 0 ? 422 : 0,
    records_total: 0,
    duration_ms: i % 2000,
    attributes: { k: String(i % 5) },
    source: 'event',
    ...over,
  };
}

const count = z.object({ n: z.coerce.number() });

describe('staged bulk insert (embedded engine)', () => {
  let dir: string;
  let driver: EmbeddedDriver;
  const n = async (sql: string) => (await driver.query({ name: 'test.count', sql, schema: count }))[0].n;
  /** Every table a materialised view on events writes to, with its row count. */
  let viewTargets: string[] = [];
  const targetRows = async () => Object.fromEntries(await Promise.all(viewTargets.map(async (t) => [t, await n(`SELECT count() AS n FROM ${t}`)] as const)));

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'syncwatch-staged-'));
    driver = new EmbeddedDriver(path.join(dir, 'clickhouse'));
    await migrate(driver);
    const views = await driver.query({
      name: 'test.views',
      sql: "SELECT arrayJoin(dependencies_table) AS v FROM system.tables WHERE database = currentDatabase() AND name = 'events'",
      schema: z.object({ v: z.string() }),
    });
    const targets = await driver.query({
      name: 'test.targets',
      sql: "SELECT name, create_table_query AS q FROM system.tables WHERE database = currentDatabase() AND name IN {views:Array(String)}",
      params: { views: views.map((v) => v.v) },
      schema: z.object({ name: z.string(), q: z.string() }),
    });
    viewTargets = [...new Set(targets.map((t) => /\bTO\s+(?:`?\w+`?\.)?`?(\w+)`?/.exec(t.q)?.[1] ?? ''))].filter(Boolean);
    assert.ok(viewTargets.length >= 10, `materialised views on events found: ${viewTargets.join(', ')}`);
  });
  after(async () => {
    await driver.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a row the engine refuses late in a large payload leaves the table and every view target untouched', async () => {
    // ~60 k rows (> 25 MB): several parsing blocks, so a streaming read would have pushed
    // the first blocks through the views before reaching the bad row.
    const lines = Array.from({ length: 60_000 }, (_, i) => JSON.stringify(row(i)));
    lines.push(JSON.stringify(row(60_000)).replace('"ts":"', '"ts":"not a time '));
    const before = await targetRows();
    await assert.rejects(driver.insertJson('events', lines), /Code: (27|41|6|38)\b|Cannot parse/);
    assert.equal(await n('SELECT count() AS n FROM events'), 0);
    assert.deepEqual(await targetRows(), before);
    assert.deepEqual(readdirSync(path.join(dir, 'clickhouse', 'syncwatch-inserts')), []);
    // The good rows alone then go in, and every view sees them once.
    await driver.insertJson('events', lines.slice(0, -1));
    assert.equal(await n('SELECT count() AS n FROM events'), 60_000);
    assert.equal(await n("SELECT toUInt64(sum(records_failed)) AS n FROM flow_stats"), 6_000);
  });

  test('the same payload moved twice (a retried flush) is stored once, in the table and in its rollups', async () => {
    const lines = Array.from({ length: 3_000 }, (_, i) => JSON.stringify(row(100_000 + i, { tenant: 'dup' })));
    await driver.insertJson('events', lines);
    await driver.insertJson('events', lines);
    assert.equal(await n("SELECT count() AS n FROM events WHERE tenant = 'dup'"), 3_000);
    assert.equal(await n("SELECT toUInt64(sum(records_failed)) AS n FROM flow_stats WHERE tenant = 'dup'"), 300);
    // A different payload (one row changed) is not mistaken for the first.
    await driver.insertJson('events', [...lines.slice(0, -1), JSON.stringify(row(200_000, { tenant: 'dup' }))]);
    assert.equal(await n("SELECT count() AS n FROM events WHERE tenant = 'dup'"), 6_000);
  });

  test('rows copied from an insert (its ids) are exactly the rows the table took, and a refused payload copies nothing', async () => {
    const copy = { into: 'event_ids', columns: ['event_id', 'tenant', 'received_at'], select: "event_id, tenant, toDateTime64({received_at:String}, 3, 'UTC')", params: { received_at: '2026-11-20 10:00:00.125' } };
    const rows = Array.from({ length: 2_500 }, (_, i) => row(500_000 + i, { tenant: `copy-${i % 4}`, event_id: `id-${i}-é"\\x` }));
    const ids = z.object({ event_id: z.string(), tenant: z.string(), received_at: z.string() });
    const stored = () => driver.query({ name: 'test.ids', sql: "SELECT event_id, tenant, toString(received_at) AS received_at FROM event_ids WHERE startsWith(tenant, 'copy-') ORDER BY tenant, event_id", schema: ids });
    const bad = [...rows.slice(0, 100).map((r) => JSON.stringify(r)), JSON.stringify(row(600_000, { tenant: 'copy-0' })).replace('"ts":"', '"ts":"never ')];
    await assert.rejects(driver.insertJsonThenCopy('events', bad, copy), /Code: (27|41|6|38)\b|Cannot parse/);
    assert.deepEqual(await stored(), []);
    await driver.insertJsonThenCopy('events', rows.map((r) => JSON.stringify(r)), copy);
    const expected = rows.map((r) => ({ event_id: r.event_id, tenant: r.tenant, received_at: '2026-11-20 10:00:00.125' })).sort((a, b) => (a.tenant + '\0' + a.event_id < b.tenant + '\0' + b.event_id ? -1 : 1));
    assert.deepEqual(await stored(), expected);
    assert.equal(await n("SELECT count() AS n FROM events WHERE startsWith(tenant, 'copy-')"), 2_500);
  });

  test('columns a row leaves out get the table defaults, and concurrent inserts of one table each land whole', async () => {
    const { failure_retryable: _, ...bare } = row(300_000, { tenant: 'defaults', failure_retryable: 1 });
    const sets = [0, 1, 2, 3].map((k) => Array.from({ length: 2_000 }, (_, i) => JSON.stringify(row(400_000 + k * 10_000 + i, { tenant: 'many' }))));
    await Promise.all([driver.insertJson('events', [JSON.stringify(bare)]), ...sets.map((lines) => driver.insertJson('events', lines))]);
    assert.equal(await n("SELECT count() AS n FROM events WHERE tenant = 'defaults' AND failure_retryable = 0"), 1);
    assert.equal(await n("SELECT count() AS n FROM events WHERE tenant = 'many'"), 8_000);
    assert.equal(await n("SELECT uniqExact(event_id) AS n FROM events WHERE tenant = 'many'"), 8_000);
  });
});
