import { touchesBefore, type Driver, type EventWrite, type EventWriteLog } from '../store/index.js';

/**
 * Value at risk's snapshots: the records at risk at the start of a UTC day, per tenant (or
 * for all tenants), kept in a temporary in-memory table of the embedded engine's session.
 * A cut-off later that day is then the snapshot plus the day's events up to the cut-off
 * (value-at-risk.ts), instead of every record's whole history (docs/scaling.md).
 *
 * A snapshot reads only the history before its day, so it stays exact until a write
 * reaches back before that day. The embedded engine's process is the store's only writer
 * and tells every write to `events` before it starts (EventWriteLog); a snapshot it may
 * change is dropped, and one being built while such a write ran is never used. Remote
 * stores have writers this process does not see: there, every query takes the rollups.
 */

/** How long a snapshot is used before it is built again, whatever the writes. */
export const SNAPSHOT_MAX_AGE_MS = 10 * 60_000;
/**
 * Snapshots kept at once, and their rows together (least recently used out first): a
 * snapshot holds a tenant's records at risk at a day's start (about 8,000 rows, under
 * 1 MB, per tenant of the 100 M bench store), and alerts and pages ask per tenant.
 */
const MAX_SNAPSHOTS = 64;
const MAX_ROWS = 2_000_000;
/** After a failed build, how long its day answers from the rollups before another try. */
const RETRY_AFTER_MS = 60_000;

/** Fills `table` with the records at risk at `dayStart`: its rows, and whether a tie left it unusable. */
export type SnapshotBuild = (table: string, tenant: string | null, dayStart: Date) => Promise<{ rows: number; ties: boolean }>;

/** A snapshot in use: its table stays until released. */
export interface SnapshotLease {
  readonly table: string;
  release(): void;
}

/** Counts for tests and the bench: how often a cut-off found its snapshot. */
export interface SnapshotStats {
  hits: number;
  misses: number;
  built: number;
  spoiled: number;
  ties: number;
  failed: number;
}

interface Entry {
  readonly key: string;
  readonly tenant: string | null;
  /** `YYYY-MM-DD`: the snapshot is the history before this day. */
  readonly day: string;
  readonly table: string;
  state: 'building' | 'valid' | 'unusable' | 'gone';
  spoiled: boolean;
  readyAt: number;
  readers: number;
  lastUsed: number;
  rows: number;
  building?: Promise<void>;
}

const CREATE = (table: string) =>
  `CREATE TEMPORARY TABLE ${table} (tenant LowCardinality(String), integration LowCardinality(String), record_key UInt128, failure String, tie UInt8) ENGINE = Memory`;

class SnapshotCache {
  readonly stats: SnapshotStats = { hits: 0, misses: 0, built: 0, spoiled: 0, ties: 0, failed: 0 };
  private readonly entries = new Map<string, Entry>();
  private seq = 0;

  constructor(
    private readonly driver: Driver,
    private readonly writes: EventWriteLog,
    private readonly build: SnapshotBuild,
  ) {
    writes.subscribe((w) => this.onWrite(w));
  }

  /** The valid snapshot of (tenant, day), leased; null (a build started) when there is none. */
  lease(tenant: string | null, dayStart: Date, now = Date.now()): SnapshotLease | null {
    const day = dayStart.toISOString().slice(0, 10);
    const key = `${tenant ?? '*'}\u0000${day}`;
    const entry = this.entries.get(key);
    if (entry && entry.state !== 'building' && now - entry.readyAt >= (entry.state === 'valid' ? SNAPSHOT_MAX_AGE_MS : RETRY_AFTER_MS)) this.drop(entry);
    const current = this.entries.get(key);
    if (current?.state === 'valid') {
      this.stats.hits++;
      current.readers++;
      current.lastUsed = now;
      let released = false;
      return {
        table: current.table,
        release: () => {
          if (released) return;
          released = true;
          current.readers--;
          this.dropTableIfUnused(current);
        },
      };
    }
    this.stats.misses++;
    // One build at a time: a build is one rollup query, so asks never queue more than one behind each other.
    const building = [...this.entries.values()].some((e) => e.building);
    if (!current && !building && !this.writes.inFlight().some((w) => touchesBefore(w.touch, tenant, day))) this.start(key, tenant, day, dayStart, now);
    return null;
  }

  /** Resolves when no build is running (tests, the bench). */
  async settled(): Promise<void> {
    for (;;) {
      const running = [...this.entries.values()].filter((e) => e.building).map((e) => e.building);
      if (running.length === 0) return;
      await Promise.all(running);
    }
  }

  private start(key: string, tenant: string | null, day: string, dayStart: Date, now: number): void {
    const entry: Entry = { key, tenant, day, table: `value_risk_snapshot_${process.pid}_${++this.seq}`, state: 'building', spoiled: false, readyAt: now, readers: 0, lastUsed: now, rows: 0 };
    this.entries.set(key, entry);
    entry.building = (async () => {
      try {
        await this.driver.command(CREATE(entry.table));
        const outcome = await this.build(entry.table, tenant, dayStart);
        entry.rows = outcome.rows;
        if (entry.spoiled || entry.state !== 'building') this.stats.spoiled++;
        else if (outcome.ties) this.stats.ties++;
        else this.stats.built++;
        if (entry.state === 'building') entry.state = !entry.spoiled && !outcome.ties ? 'valid' : 'unusable';
      } catch {
        this.stats.failed++;
        if (entry.state === 'building') entry.state = 'unusable';
      } finally {
        // A snapshot that is not used (spoiled, tied or failed) keeps its day on the rollups
        // for RETRY_AFTER_MS: writes reaching back keep coming for a while after midnight.
        entry.readyAt = Date.now();
        entry.building = undefined;
        this.dropTableIfUnused(entry);
        this.evict();
      }
    })();
  }

  /** A write reaching back before a snapshot's day: the snapshot (or its build) is worthless. */
  private onWrite(write: EventWrite): void {
    for (const entry of [...this.entries.values()]) {
      if (!touchesBefore(write.touch, entry.tenant, entry.day)) continue;
      if (entry.state === 'building') entry.spoiled = true;
      else if (entry.state === 'valid') this.drop(entry);
    }
  }

  private evict(): void {
    const idle = [...this.entries.values()].filter((e) => e.state !== 'building').sort((a, b) => a.lastUsed - b.lastUsed);
    let rows = [...this.entries.values()].reduce((n, e) => n + (e.state === 'valid' ? e.rows : 0), 0);
    for (const entry of idle) {
      if (this.entries.size <= MAX_SNAPSHOTS && rows <= MAX_ROWS) break;
      if (entry.state === 'valid') rows -= entry.rows;
      this.drop(entry);
    }
  }

  private drop(entry: Entry): void {
    if (this.entries.get(entry.key) === entry) this.entries.delete(entry.key);
    entry.state = 'gone';
    this.dropTableIfUnused(entry);
  }

  /** The table of a snapshot no longer valid goes once no query reads it (and it is built). */
  private dropTableIfUnused(entry: Entry): void {
    if (entry.state === 'valid' || entry.state === 'building' || entry.building || entry.readers > 0) return;
    void this.driver.command(`DROP TEMPORARY TABLE IF EXISTS ${entry.table}`).catch(() => {});
  }
}

const caches = new WeakMap<EventWriteLog, SnapshotCache>();

/** The snapshot cache of the store behind `driver`; null where the store has other writers. */
export function snapshotCache(driver: Driver, build: SnapshotBuild): SnapshotCache | null {
  const writes = driver.eventWrites;
  if (!writes) return null;
  let cache = caches.get(writes);
  if (!cache) caches.set(writes, (cache = new SnapshotCache(driver, writes, build)));
  return cache;
}

/** Resolves when the store's snapshot builds have finished (tests, the bench). */
export async function snapshotsSettled(driver: Driver): Promise<void> {
  const writes = driver.eventWrites;
  await (writes && caches.get(writes)?.settled());
}

/** The store's snapshot counts (null where snapshots are not used). */
export function snapshotStats(driver: Driver): SnapshotStats | null {
  const writes = driver.eventWrites;
  return (writes && caches.get(writes)?.stats) ?? null;
}
