import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { KeeperLease } from '../../src/alerts/scheduler-lease-keeper.js';
import { EmbeddedDriver, type Driver, type Query } from '../../src/store/index.js';

// KeeperMap needs Keeper, which chDB has not. Its SQL is run here over EmbeddedRocksDB,
// the engine's other key-value table (same PRIMARY KEY row model, same ALTER … UPDATE),
// so the lease's rules — renewal, take-over delay, release, the version check that makes
// a stale write a no-op — are exercised for real. What only Keeper gives (a concurrent
// write failing under keeper_map_strict_mode) cannot happen here; docs/scaling.md says so.
const T0 = Date.UTC(2026, 11, 4, 12, 0, 0);
const opts = { ttlMs: 60_000, takeoverDelayMs: 30_000 };

let driver: EmbeddedDriver;
let dir: string;
before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'syncwatch-keeper-lease-'));
  driver = new EmbeddedDriver(dir);
  await driver.command('CREATE TABLE alert_lease_keeper (name String, holder String, expires_at UInt64, version UInt64) ENGINE = EmbeddedRocksDB PRIMARY KEY name');
});
after(async () => {
  await driver.close();
  rmSync(dir, { recursive: true, force: true });
});

test('KeeperMap lease: one holder at a time, take-over only after ttl + delay, the old holder stops', async () => {
  const a = new KeeperLease(driver, { ...opts, name: 'one', holder: 'worker-a' });
  const b = new KeeperLease(driver, { ...opts, name: 'one', holder: 'worker-b' });
  assert.equal(await a.acquire(T0), true);
  assert.equal(await b.acquire(T0 + 1_000), false);
  assert.equal(await a.acquire(T0 + 40_000), true, 'renewed past half its life');
  assert.equal(await b.acquire(T0 + 100_000 + 29_000), false, 'expired, but within the take-over delay');
  assert.equal(await b.acquire(T0 + 100_000 + 31_000), true, 'a holder silent for ttl + delay is replaced');
  assert.equal(await a.acquire(T0 + 132_000), false, 'the old holder sees it lost and stops');
  assert.equal(a.isHeld, false);
});

test('KeeperMap lease: a released lease is taken at once', async () => {
  const a = new KeeperLease(driver, { ...opts, name: 'two', holder: 'worker-a' });
  const b = new KeeperLease(driver, { ...opts, name: 'two', holder: 'worker-b' });
  assert.equal(await a.acquire(T0), true);
  await a.release(T0 + 5_000);
  assert.equal(a.isHeld, false);
  assert.equal(await b.acquire(T0 + 6_000), true);
});

test('KeeperMap lease: a claim that read an older row changes nothing (the version check)', async () => {
  const a = new KeeperLease(driver, { ...opts, name: 'three', holder: 'worker-a' });
  const b = new KeeperLease(driver, { ...opts, name: 'three', holder: 'worker-b' });
  assert.equal(await a.acquire(T0), true);
  // b reads the row while a's lease is long expired, then a renews before b writes:
  // b's write names the version it read, which is gone, so it lands nowhere.
  // The store as b sees it: a's renewal lands just after b's read.
  let renewed = false;
  const late: Driver = Object.create(driver) as Driver;
  late.query = async <T>(q: Query<T>) => {
    const rows = await driver.query(q);
    if (q.name === 'alerts.lease_keeper' && !renewed) {
      renewed = true;
      await driver.command("ALTER TABLE alert_lease_keeper UPDATE version = version + 1, expires_at = expires_at + 1000000 WHERE name = 'three'");
    }
    return rows;
  };
  const racing = new KeeperLease(late, { ...opts, name: 'three', holder: 'worker-b' });
  assert.equal(await racing.acquire(T0 + 200_000), false);
  assert.equal(await b.acquire(T0 + 200_001), false, 'worker-a still holds it');
  const rows = await driver.query({ name: 'check', sql: "SELECT holder FROM alert_lease_keeper WHERE name = 'three'" });
  assert.deepEqual(rows, [{ holder: 'worker-a' }]);
});
