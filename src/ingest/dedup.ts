import { crc32 } from 'node:zlib';
import type { Logger } from 'pino';
import { z } from 'zod';
import { storedKeyBits, type Driver } from '../store/index.js';
import { RecentKeys } from './recent-keys.js';

/**
 * De-duplication without a look-up per batch (issue 15). Exact as the look-up alone:
 * - a Bloom filter holds every (tenant, id) in `event_ids` — built by the engine from the
 *   table when the first batch is written, then kept up to date by every write of this
 *   process. A key it does not hold is certainly not stored: no look-up.
 * - a bounded window of keys this process stored recently: a key in it is certainly
 *   stored (a client's retry, the usual duplicate): dropped, no look-up.
 * - anything else (a duplicate from before the restart or outside the window, or one of
 *   the filter's rare false positives) is looked up in `event_ids`, as before.
 * The filter is only used where this process is the one writer of `event_ids` for the
 * store's lifetime in it: the embedded engine (one process per data directory). With a
 * server, other processes may store ids this filter never saw, so every key is looked up.
 */

/** Hash positions per key. 7 with ≥10 bits a key gives under 1 % false positives. */
const HASHES = 7;
/** Bits per key the filter is sized for (at twice the stored ids when it is built). */
const BITS_PER_KEY = 10;
const MIN_BITS = 2 ** 23; // 1 MiB
/** 128 MiB: past ~100 M ids the false positives rise (more look-ups), exactness does not change. */
const MAX_BITS = 2 ** 30;
/** Recent keys kept exactly (~100 B each). */
export const RECENT_KEYS = 200_000;

/** MurmurHash3 x86 32-bit, seed 0: the engine's `murmurHash3_32`, so both sides set the same bits. */
export function murmur3(bytes: Uint8Array): number {
  let h = 0;
  const n = bytes.length;
  const tail = n & ~3;
  for (let i = 0; i < tail; i += 4) {
    let k = bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let k = 0;
  switch (n & 3) {
    case 3:
      k ^= bytes[tail + 2] << 16;
    // falls through
    case 2:
      k ^= bytes[tail + 1] << 8;
    // falls through
    case 1:
      k ^= bytes[tail];
      k = Math.imul(k, 0xcc9e2d51);
      k = (k << 15) | (k >>> 17);
      h ^= Math.imul(k, 0x1b873593);
  }
  h ^= n;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Reused for keys' UTF-8 bytes: a new Buffer per key cost more than both hashes. */
const scratch = Buffer.allocUnsafe(64 * 1024);
function utf8(key: string): Uint8Array {
  if (key.length * 3 > scratch.length) return Buffer.from(key);
  return scratch.subarray(0, scratch.write(key));
}

export class DedupFilter {
  private readonly words: Uint32Array;
  private added = 0;
  private readonly recent: RecentKeys;

  private constructor(
    readonly bits: number,
    /** Ids the filter was sized for; past it, it is rebuilt larger. */
    readonly capacity: number,
    words: Uint32Array,
    readonly recentLimit: number,
  ) {
    this.words = words;
    this.recent = new RecentKeys(recentLimit);
  }

  /** Builds the filter from every key in `event_ids` (the engine sets the bits). */
  static async load(driver: Driver, recentLimit = RECENT_KEYS): Promise<DedupFilter> {
    const stored = await storedKeyCount(driver);
    const capacity = Math.max(1_000_000, stored * 2);
    const bits = Math.min(MAX_BITS, Math.max(MIN_BITS, 2 ** Math.ceil(Math.log2(capacity * BITS_PER_KEY))));
    const words = await storedKeyBits(driver, bits, HASHES);
    return new DedupFilter(bits, capacity, words, recentLimit);
  }

  /** True when the key is certainly stored (in the recent window). */
  isRecent(key: string): boolean {
    return this.recent.has(key);
  }

  /** False when the key is certainly not stored; true when it may be (look it up). */
  mayContain(key: string): boolean {
    return this.probe(key, false);
  }

  /**
   * Tests (or sets) a key's bits: double hashing, crc32 + i·(murmur3 | 1) mod bits — the
   * arithmetic storedKeyBits does in SQL, so both sides set the same bits.
   */
  private probe(key: string, set: boolean): boolean {
    const bytes = utf8(key);
    const a = crc32(bytes);
    const b = (murmur3(bytes) | 1) >>> 0;
    for (let i = 0; i < HASHES; i++) {
      const p = (a + i * b) % this.bits;
      if (set) this.words[p >>> 5] |= 1 << (p & 31);
      else if ((this.words[p >>> 5] & (1 << (p & 31))) === 0) return false;
    }
    return true;
  }

  /** Records keys just written to `event_ids`. */
  add(keys: Iterable<string>): void {
    for (const key of keys) {
      this.probe(key, true);
      this.added++;
      this.recent.add(key);
    }
  }

  /** True when the ids held pass what the filter was sized for (rebuild it larger). */
  get full(): boolean {
    return this.added > this.capacity / 2;
  }
}

async function storedKeyCount(driver: Driver): Promise<number> {
  const rows = await driver.query({ name: 'event_ids.count', sql: 'SELECT count() AS n FROM event_ids', schema: countRow });
  return rows[0]?.n ?? 0;
}

const countRow = z.object({ n: z.coerce.number() });

/** One filter per engine, built on first use; null where the filter does not apply (see above). */
const filters = new WeakMap<Driver, DedupFilter>();

/**
 * The filter of this driver, (re)built when missing or full. Called inside the writer's
 * serial section, so no write of this process runs while it is built.
 */
export async function dedupFilter(driver: Driver, log: Logger): Promise<DedupFilter | null> {
  if (driver.kind !== 'embedded' || !driver.queryBytes) return null;
  let filter = filters.get(driver);
  if (!filter || filter.full) {
    try {
      filter = await DedupFilter.load(driver, filter?.recentLimit);
    } catch (err) {
      // Only a cost: every id is looked up until a later write builds the filter.
      filters.delete(driver);
      log.warn({ err }, 'could not build the de-duplication filter; looking every id up');
      return null;
    }
    filters.set(driver, filter);
  }
  return filter;
}

/** Sets the recent-window size of a driver's filter (tests: a small window shows the look-up path). */
export async function resetDedupFilter(driver: Driver, recentLimit = RECENT_KEYS): Promise<void> {
  if (driver.kind !== 'embedded' || !driver.queryBytes) return;
  filters.set(driver, await DedupFilter.load(driver, recentLimit));
}
