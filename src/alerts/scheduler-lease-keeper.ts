import { z } from 'zod';
import type { Driver } from '../store/index.js';
import { Lease, LeaseBase, type AlertLease, type LeaseOptions, type LeaseRow } from './scheduler-lease.js';

const keeperRow = z
  .object({ holder: z.string(), expires_at: z.coerce.number(), version: z.coerce.number() })
  .transform((r) => ({ holder: r.holder, expiresAt: r.expires_at, version: r.version }));

/**
 * Every write is a compare-and-set: with keeper_map_strict_mode an INSERT of a key that
 * exists fails, and an ALTER … UPDATE fails when the row changed in Keeper between its
 * read and its write; `version = {read}` in the WHERE makes a write that read an older
 * row a no-op. Keeper orders all of them (linearisable writes).
 */
const STRICT = 'SETTINGS keeper_map_strict_mode = 1';

/**
 * The alerting lease on a cluster (CLICKHOUSE_CLUSTER): one KeeperMap row
 * (name → holder, expiry, version; migration 040), taken and renewed by compare-and-set,
 * so of two claims at the same moment exactly one lands, on whichever host each runs —
 * no settle wait and no read-your-write doubt of a replicated MergeTree row.
 * A live holder is still never raced (a claim needs the lease expired for longer than
 * `takeoverDelayMs`), and a holder whose renewal fails or reads another holder stops at
 * once. What remains is the paused holder (GC, a stalled host) that acts once more after
 * ttl + delay: a duplicate notification with the same id, never a lost one.
 */
export class KeeperLease extends LeaseBase {
  protected async current(): Promise<LeaseRow | null> {
    const rows = await this.driver.query({
      name: 'alerts.lease_keeper',
      sql: 'SELECT holder, expires_at, version FROM alert_lease_keeper WHERE name = {name:String}',
      params: { name: this.name },
      schema: keeperRow,
    });
    return rows[0] ?? null;
  }

  /** Writes (holder, expiry) over the row read at `cur.version` (or a new row); false when another write won. */
  protected async claim(cur: LeaseRow | null, expiresAt: number): Promise<boolean> {
    const params = { name: this.name, holder: this.holder, expires: expiresAt, version: cur?.version ?? 0 };
    try {
      if (cur === null) {
        await this.driver.command(`INSERT INTO alert_lease_keeper ${STRICT} VALUES ({name:String}, {holder:String}, {expires:UInt64}, 1)`, params);
      } else {
        await this.driver.command(
          `ALTER TABLE alert_lease_keeper UPDATE holder = {holder:String}, expires_at = {expires:UInt64}, version = version + 1
           WHERE name = {name:String} AND version = {version:UInt64} ${STRICT}`,
          params,
        );
      }
    } catch (err) {
      // A lost race fails the write; anything else fails the read below as well.
      if ((await this.current()) === null) throw err;
      return false;
    }
    const after = await this.current();
    return after !== null && after.holder === this.holder && after.version === (cur?.version ?? 0) + 1;
  }
}

/** The lease the store supports: KeeperMap compare-and-set on a cluster, the row lease on one server (or ClickHouse Cloud). */
export function createLease(driver: Driver, opts: LeaseOptions, cluster: boolean): AlertLease {
  return cluster ? new KeeperLease(driver, opts) : new Lease(driver, opts);
}
