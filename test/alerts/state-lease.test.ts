import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Lease } from '../../src/alerts/scheduler-lease.js';
import { loadConfig } from '../../src/config.js';
import { openStore, type Driver } from '../../src/store/index.js';
import { createTestDatabase } from '../support/remote-db.js';

const T0 = Date.UTC(2026, 10, 22, 12, 0, 0);
const opts = { ttlMs: 60_000, takeoverDelayMs: 30_000, settleMs: 0 };

let driver: Driver;
let dir: string;
let db: Awaited<ReturnType<typeof createTestDatabase>>;

before(async () => {
  db = await createTestDatabase();
  dir = mkdtempSync(path.join(tmpdir(), 'syncwatch-lease-'));
  driver = await openStore(loadConfig({ SYNCWATCH_DATA_DIR: dir, ...db.env }));
});
after(async () => {
  await driver.close();
  await db.drop();
  rmSync(dir, { recursive: true, force: true });
});

test('one holder at a time: a live lease is never taken, an expired one only after the take-over delay', async () => {
  const a = new Lease(driver, { ...opts, name: 'one', holder: 'worker-a' });
  const b = new Lease(driver, { ...opts, name: 'one', holder: 'worker-b' });
  assert.equal(await a.acquire(T0), true);
  assert.equal(await b.acquire(T0 + 1_000), false);
  assert.equal(await a.acquire(T0 + 40_000), true, 'renewed past half its life');
  assert.equal(await b.acquire(T0 + 100_000 + 29_000), false, 'expired, but within the take-over delay');
  assert.equal(await b.acquire(T0 + 100_000 + 31_000), true, 'a holder silent for ttl + delay is replaced');
  assert.equal(await a.acquire(T0 + 132_000), false, 'the old holder sees it lost and stops');
});

test('a released lease can be taken at once', async () => {
  const a = new Lease(driver, { ...opts, name: 'two', holder: 'worker-a' });
  const b = new Lease(driver, { ...opts, name: 'two', holder: 'worker-b' });
  assert.equal(await a.acquire(T0), true);
  await a.release(T0 + 5_000);
  assert.equal(a.isHeld, false);
  assert.equal(await b.acquire(T0 + 6_000), true);
});

test('two workers claiming at the same moment agree on one winner', async () => {
  const workers = ['w1', 'w2', 'w3'].map((holder) => new Lease(driver, { ...opts, name: 'three', holder, settleMs: 200 }));
  const held = await Promise.all(workers.map((w) => w.acquire(T0)));
  assert.equal(held.filter(Boolean).length, 1, `winners: ${held}`);
});
