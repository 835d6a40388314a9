import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { pino } from 'pino';
import { Batcher } from '../../src/ingest/batcher.js';
import { DedupFilter, resetDedupFilter } from '../../src/ingest/dedup.js';
import { EmbeddedDriver, eventKey, insertEventIds, migrate, type Driver, type JsonLines, type Query, type RowCopy } from '../../src/store/index.js';
import { eventRow } from './support-store.js';

// De-duplication without a look-up per batch (src/ingest/dedup.ts) must stay exactly as
// strict as the look-up: every re-sent id is dropped, whether it was stored a moment ago,
// long ago (outside the recent window) or before the engine was reopened.

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** The real embedded engine, counting the de-duplication look-ups sent to it. */
class CountingStore implements Driver {
  readonly kind = 'embedded' as const;
  lookUps = 0;
  constructor(readonly inner: EmbeddedDriver) {}
  query<T>(q: Query<T>): Promise<T[]> {
    if (q.name === 'event_ids.find') this.lookUps++;
    return this.inner.query(q);
  }
  queryBytes(name: string, sql: string, params?: Record<string, unknown>): Promise<Uint8Array> {
    return this.inner.queryBytes(name, sql, params);
  }
  insert(table: string, rows: readonly object[]) {
    return this.inner.insert(table, rows);
  }
  insertJson(table: string, lines: JsonLines) {
    return this.inner.insertJson(table, lines);
  }
  insertJsonThenCopy(table: string, lines: JsonLines, copy: RowCopy) {
    return this.inner.insertJsonThenCopy(table, lines, copy);
  }
  command(sql: string, params?: Record<string, unknown>) {
    return this.inner.command(sql, params);
  }
  ping() {
    return this.inner.ping();
  }
  close() {
    return this.inner.close();
  }
}

async function open(dir: string): Promise<{ store: CountingStore; batcher: Batcher }> {
  const inner = new EmbeddedDriver(path.join(dir, 'clickhouse'));
  await migrate(inner);
  const store = new CountingStore(inner);
  const batcher = new Batcher(store, { spoolDir: path.join(dir, 'spool'), batchRows: 100_000, batchMs: 3_600_000, spoolMaxBytes: 1 << 30 }, pino({ level: 'silent' }));
  return { store, batcher };
}

const rows = (tenant: string, prefix: string, n: number) => Array.from({ length: n }, (_, i) => eventRow({ event_id: `${prefix}-${i}`, tenant }));

async function storedIds(driver: Driver, tenant: string): Promise<Map<string, number>> {
  const found = await driver.query<{ event_id: string; n: number }>({
    name: 'test.ids',
    sql: 'SELECT event_id, toUInt32(count()) AS n FROM events WHERE tenant = {tenant:String} GROUP BY event_id',
    params: { tenant },
  });
  return new Map(found.map((r) => [r.event_id, Number(r.n)]));
}

describe('de-duplication filter', () => {
  test('the engine sets the very bits JS computes: every stored key is held', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'syncwatch-dedup-'));
    dirs.push(dir);
    const driver = new EmbeddedDriver(path.join(dir, 'clickhouse'));
    await migrate(driver);
    // Multi-byte characters, every tail length of murmur3, and spans' empty tenant.
    const keys = Array.from({ length: 3_000 }, (_, i) => ({ tenant: i % 3 === 0 ? '' : `tenänt-${i % 7}`, event_id: `évt-${'x'.repeat(i % 5)}${i}` }));
    await insertEventIds(driver, keys.map((k) => ({ ...k, received_at: '2026-11-20 10:00:00.000' })));
    const filter = await DedupFilter.load(driver);
    for (const k of keys) assert.ok(filter.mayContain(eventKey(k.tenant, k.event_id)), `${k.tenant}/${k.event_id} is held`);
    const absent = Array.from({ length: 5_000 }, (_, i) => eventKey('tenänt-1', `absent-${i}`)).filter((k) => filter.mayContain(k));
    assert.ok(absent.length < 50, `few false positives (${absent.length} of 5000)`);
    await driver.close();
  });

  test('new ids are stored without a look-up; re-sent ids are dropped — recent, outside the window, and after a reopen', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'syncwatch-dedup-'));
    dirs.push(dir);
    let { store, batcher } = await open(dir);
    await resetDedupFilter(store, 150); // a small window, so the look-up path is exercised

    await batcher.accept({ events: rows('acme', 'a', 100), spans: [] });
    await batcher.flush();
    assert.equal(store.lookUps, 0, 'a batch of new ids needs no look-up');

    await batcher.accept({ events: rows('acme', 'a', 100), spans: [] });
    await batcher.flush();
    assert.equal(store.lookUps, 0, 'recently stored ids are known without a look-up');
    assert.equal(batcher.stats.duplicatesDropped, 100);

    await batcher.accept({ events: rows('acme', 'b', 100), spans: [] });
    await batcher.flush();
    await batcher.accept({ events: [...rows('acme', 'a', 100), ...rows('acme', 'c', 10)], spans: [] });
    await batcher.flush();
    assert.ok(store.lookUps > 0, 'ids outside the window are looked up');
    assert.equal(batcher.stats.duplicatesDropped, 200);
    assert.equal(batcher.stats.storedEvents, 210);

    await batcher.close();
    await store.close();
    ({ store, batcher } = await open(dir));
    // Another tenant's id of the same text is not a duplicate.
    await batcher.accept({ events: [...rows('acme', 'a', 100), ...rows('acme', 'b', 100), ...rows('acme', 'c', 10), ...rows('globex', 'a', 5)], spans: [] });
    await batcher.flush();
    assert.equal(batcher.stats.duplicatesDropped, 210, 'after a reopen every stored id is still recognised');
    assert.equal(batcher.stats.storedEvents, 5);

    const acme = await storedIds(store, 'acme');
    assert.equal(acme.size, 210);
    assert.ok([...acme.values()].every((n) => n === 1), 'each acme id stored once');
    assert.equal((await storedIds(store, 'globex')).size, 5);
    await batcher.close();
    await store.close();
  });
});
