import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { Batcher } from '../../src/ingest/batcher.js';
import { EmbeddedDriver, migrate, type EventTouch } from '../../src/store/index.js';
import { eventRow, spanRow } from './support-store.js';

// A flush tells the embedded engine's write log what it writes to the event history (each
// tenant's earliest day) from the keys and days it already holds. Value at risk's day
// snapshots are dropped by what this says, so it must be exactly what the rows hold.

const day = 24 * 3600 * 1000;
const iso = (ms: number) => new Date(ms).toISOString().slice(0, 23).replace('T', ' ');

describe('what a flush tells the write log', () => {
  let dir: string;
  let driver: EmbeddedDriver;
  let batcher: Batcher;
  const touches: EventTouch[] = [];

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'syncwatch-touch-'));
    driver = new EmbeddedDriver(path.join(dir, 'clickhouse'));
    await migrate(driver);
    driver.eventWrites.subscribe((w) => touches.push(w.touch));
    batcher = new Batcher(driver, { spoolDir: path.join(dir, 'spool'), batchRows: 100_000, batchMs: 3_600_000, spoolMaxBytes: 1 << 30 }, pino({ level: 'silent' }));
  });
  after(async () => {
    await batcher.close();
    await driver.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('each tenant from the earliest day of its rows; spans write no event history', async () => {
    touches.length = 0;
    const now = Date.now();
    const rows = [
      eventRow({ event_id: 'a-1', tenant: 'acme', ts: iso(now - 2 * day) }),
      eventRow({ event_id: 'a-2', tenant: 'acme', ts: iso(now - 5 * day) }),
      eventRow({ event_id: 'z-1', tenant: 'zoë "q"', ts: iso(now - 1 * day), attributes: { ts: '2001-01-01 00:00:00.000', tenant: 'other' } }),
      eventRow({ event_id: 'a-3', tenant: 'acme', ts: iso(now - 3 * day) }),
    ];
    await batcher.accept({ events: rows, spans: [spanRow('0000000000000001', now - 40 * day)] });
    await batcher.flush();
    assert.deepEqual(touches, [new Map([['acme', iso(now - 5 * day).slice(0, 10)], ['zoë "q"', iso(now - 1 * day).slice(0, 10)]])]);
  });

  test('rows split over several inserts (more days than one may touch): each insert tells its own days', async () => {
    touches.length = 0;
    const start = Date.now() - 200 * day;
    const rows = Array.from({ length: 150 }, (_, i) => eventRow({ event_id: `k-${i}`, tenant: i % 2 ? 'kim' : 'lee', ts: iso(start + i * day) }));
    await batcher.accept({ events: rows, spans: [] });
    await batcher.flush();
    assert.equal(touches.length, 2);
    const earliestOf = (tenant: string, from: number, to: number) => iso(start + (rows.findIndex((r, i) => i >= from && i < to && r.tenant === tenant)) * day).slice(0, 10);
    assert.deepEqual(touches[0], new Map([['lee', earliestOf('lee', 0, 90)], ['kim', earliestOf('kim', 0, 90)]]));
    assert.deepEqual(touches[1], new Map([['lee', earliestOf('lee', 90, 150)], ['kim', earliestOf('kim', 90, 150)]]));
  });
});
