import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { pino } from 'pino';
import { Batcher } from '../../src/ingest/batcher.js';
import { StoreError, type Driver, type EventRow, type JsonLines, type Query } from '../../src/store/index.js';
import { asLines } from './support-store.js';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A store that can be taken down, and that remembers what was written and looked up. */
class FlakyStore implements Driver {
  readonly kind = 'embedded' as const;
  down = false;
  events: EventRow[] = [];
  ids = new Set<string>();
  lookedUp: string[] = [];

  private check(what: string) {
    if (this.down) throw new StoreError(what, 'connection refused');
  }
  async query<T>(q: Query<T>): Promise<T[]> {
    this.check(q.name);
    const ids = (q.params?.ids ?? []) as string[];
    this.lookedUp.push(...ids);
    return ids.filter((id) => this.ids.has(`acme/${id}`)).map((id) => ({ event_id: id, tenant: 'acme' })) as T[];
  }
  async insert(table: string, rows: readonly object[]): Promise<void> {
    await this.insertJson(table, rows.map((r) => JSON.stringify(r)));
  }
  async insertJson(table: string, lines: JsonLines): Promise<void> {
    this.check(`insert ${table}`);
    const rows = asLines(lines).map((l) => JSON.parse(l));
    if (table === 'events') this.events.push(...rows);
    if (table === 'event_ids') for (const r of rows) this.ids.add(`${r.tenant}/${r.event_id}`);
  }
  async command(): Promise<void> {}
  async ping() {
    return !this.down;
  }
  async close() {}
}

const row = (eventId: string): EventRow => ({
  event_id: eventId, type: 'record.synced', ts: '2026-11-20 10:00:00.000', received_at: '2026-11-20 10:00:00.000',
  tenant: 'acme', integration: 'hubspot', connection: '', flow: 'contacts.import', run: 'run-1', record_id: eventId,
  record_type: '', record_value: 0, has_value: 0, currency: '', failure_category: '', failure_code: '', message: '',
  http_status: 0, records_total: 0, duration_ms: 0, attributes: {}, source: 'event',
});

function batcher(store: FlakyStore): Batcher {
  const spoolDir = mkdtempSync(path.join(tmpdir(), 'syncwatch-batcher-'));
  dirs.push(spoolDir);
  return new Batcher(store, { spoolDir, batchRows: 10, batchMs: 3_600_000, spoolMaxBytes: 1 << 30 }, pino({ level: 'silent' }));
}

const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

describe('batcher', () => {
  test('while the store is down, accepted rows wait on disk, not in memory, and are written once when it is back', async () => {
    const store = new FlakyStore();
    const b = batcher(store);
    store.down = true;
    await b.accept({ events: ids('a', 10).map(row), spans: [] }); // reaches batchRows: a flush is tried and fails
    await b.flush().catch(() => {});
    assert.equal(b.backlogSegments(), 1, 'the failed segment stays in the spool');
    for (let i = 0; i < 6; i++) await b.accept({ events: ids(`b${i}`, 10).map(row), spans: [] });
    assert.ok(b.backlogSegments() >= 2, 'rows accepted while the store is down should be parked on disk');
    store.down = false;
    await b.flush();
    assert.equal(b.backlogSegments(), 0);
    assert.equal(store.events.length, 70);
    assert.equal(new Set(store.events.map((e) => e.event_id)).size, 70);
    assert.deepEqual(store.events.map((e) => e.event_id), [...ids('a', 10), ...[0, 1, 2, 3, 4, 5].flatMap((i) => ids(`b${i}`, 10))], 'oldest segment first');
    await b.close();
  });

  test('a write failing half-way through the parked segments loses and repeats nothing, oldest first', async () => {
    const store = new FlakyStore();
    const b = batcher(store);
    store.down = true;
    for (let i = 0; i < 12; i++) await b.accept({ events: ids(`c${i}`, 10).map(row), spans: [] });
    await b.flush().catch(() => {});
    const parked = b.backlogSegments();
    assert.ok(parked >= 3, `segments parked: ${parked}`);
    // The store takes two segments, then goes down while the third is written.
    let writes = 0;
    const insertJson = store.insertJson.bind(store);
    store.insertJson = async (table, lines) => {
      if (table === 'events' && ++writes === 3) store.down = true;
      return insertJson(table, lines);
    };
    store.down = false;
    const all = Array.from({ length: 12 }, (_, i) => ids(`c${i}`, 10)).flat();
    await assert.rejects(b.flush());
    assert.equal(b.backlogSegments(), parked - 2, 'the two segments written are gone; the rest wait');
    assert.ok(store.events.length > 0 && store.events.length < all.length);
    assert.deepEqual(store.events.map((e) => e.event_id), all.slice(0, store.events.length), 'the two oldest segments, once');
    store.down = false;
    await b.flush();
    assert.equal(b.backlogSegments(), 0);
    assert.deepEqual(store.events.map((e) => e.event_id), all);
    await b.close();
  });

  test('ids syncwatch generated are not looked up in the store; client ids and replayed rows are', async () => {
    const store = new FlakyStore();
    const b = batcher(store);
    const generated = ids('gen', 3).map(row);
    await b.accept({ events: [...generated, ...ids('client', 2).map(row)], spans: [], newIds: new Set(generated) });
    await b.flush();
    assert.deepEqual(store.lookedUp.sort(), ['client-0', 'client-1']);
    // Re-sent client ids are dropped as duplicates.
    await b.accept({ events: ids('client', 2).map(row), spans: [] });
    await b.flush();
    assert.equal(store.events.length, 5);
    assert.equal(b.stats.duplicatesDropped, 2);
    await b.close();
  });
});
