import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { toChTime, type Driver } from '../store/index.js';

/** Lease timings (milliseconds). */
export interface LeaseOptions {
  /** How long a taken or renewed lease lasts. */
  ttlMs: number;
  /** How long past its expiry a lease must be before another worker takes it over. */
  takeoverDelayMs: number;
  /** Wait between writing a claim and reading back who won (lets a concurrent claim land first). */
  settleMs?: number;
  name?: string;
  holder?: string;
}

/**
 * "Only one worker evaluates and dispatches at a time": the alerting lease. Two forms,
 * chosen by the store (createLease): a row in a MergeTree table on one server, a
 * KeeperMap row with compare-and-set on a cluster (scheduler-lease-keeper.ts).
 */
export interface AlertLease {
  readonly holder: string;
  /** Whether this process held the lease at its last check. */
  readonly isHeld: boolean;
  /** Takes or renews the lease at `now`; resolves whether this process holds it. */
  acquire(now: number): Promise<boolean>;
  /** Gives the lease up (graceful stop), so another worker may take over at once. */
  release(now: number): Promise<void>;
}

/** A holder id unique to this process: host, pid and a random part. */
export const newHolderId = () => `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;

/** A lease row as both forms read it. */
export interface LeaseRow {
  holder: string;
  expiresAt: number;
  version: number;
}

/**
 * What both lease forms share: renew only past half the lease's life, never race a live
 * holder (a claim needs the lease ours or expired for longer than `takeoverDelayMs`), give
 * the lease up on a graceful stop by writing it already expired. A form supplies how a row
 * is read and how a claim is written and confirmed.
 */
export abstract class LeaseBase implements AlertLease {
  readonly holder: string;
  protected readonly name: string;
  private held = false;
  private expiresAt = 0;

  constructor(
    protected readonly driver: Driver,
    protected readonly opts: LeaseOptions,
  ) {
    this.name = opts.name ?? 'alerts';
    this.holder = opts.holder ?? newHolderId();
  }

  /** Whether this process held the lease at its last check. */
  get isHeld(): boolean {
    return this.held;
  }

  /** The lease's current row, or null when it was never taken. */
  protected abstract current(): Promise<LeaseRow | null>;

  /** Writes this holder's claim over `cur`, lasting until `expiresAt`; resolves whether this holder has the lease after it. */
  protected abstract claim(cur: LeaseRow | null, expiresAt: number, now: number, mine: boolean): Promise<boolean>;

  /** Takes or renews the lease at `now`; resolves whether this process holds it. Renews only past half its life. */
  async acquire(now: number): Promise<boolean> {
    if (this.held && now < this.expiresAt - this.opts.ttlMs / 2) return true;
    const cur = await this.current();
    const mine = cur?.holder === this.holder;
    if (cur && !mine && now < cur.expiresAt + this.opts.takeoverDelayMs) return (this.held = false);
    const won = await this.claim(cur, now + this.opts.ttlMs, now, mine);
    if (won) this.expiresAt = now + this.opts.ttlMs;
    return (this.held = won);
  }

  /** Gives the lease up (graceful stop): this holder has stopped for sure, so another worker may take over at once. */
  async release(now: number): Promise<void> {
    if (!this.held) return;
    this.held = false;
    const cur = await this.current();
    if (cur?.holder === this.holder) await this.claim(cur, now - this.opts.takeoverDelayMs - 1, now, true);
  }
}

const leaseRow = z
  .object({ current_holder: z.string(), current_expiry: z.coerce.number(), top_version: z.coerce.number() })
  .transform((r) => ({ holder: r.current_holder, expiresAt: r.current_expiry, version: r.top_version }));

/**
 * "Only one worker evaluates and dispatches at a time" (docs/architecture.md#data-flow), as a row in
 * ClickHouse: (name, holder, expires_at) with the highest version winning. ClickHouse has
 * no transactions or compare-and-set, so this is best effort, made safe by margins:
 * - a claim is written only when the lease is ours or expired for longer than
 *   `takeoverDelayMs`, so a live holder that renews every tick is never raced;
 * - after writing, the claimant waits `settleMs` and reads back: of two simultaneous
 *   claims, both read the same winner (the higher version) and the loser backs off;
 * - a holder that reads someone else as the winner stops at once.
 * What remains: a holder paused (GC, a stalled store) for longer than ttl + takeover
 * delay may act once more after another took over, and on a replicated cluster with
 * asynchronous replication a read may miss a claim. Both can cause a duplicate
 * notification (receivers de-duplicate on webhook-id), never a lost one.
 */
export class Lease extends LeaseBase {
  protected async current(): Promise<LeaseRow | null> {
    const rows = await this.driver.query({
      name: 'alerts.lease',
      sql: `SELECT argMax(holder, version) AS current_holder, toUnixTimestamp64Milli(argMax(expires_at, version)) AS current_expiry,
                   max(version) AS top_version
            FROM alert_lease WHERE name = {name:String} GROUP BY name`,
      params: { name: this.name },
      schema: leaseRow,
    });
    return rows[0] ?? null;
  }

  /** Writes a higher version, waits `settleMs` when taking over, and reads back who won. */
  protected async claim(cur: LeaseRow | null, expiresAt: number, now: number, mine: boolean): Promise<boolean> {
    // A random low part keeps two claims written in the same millisecond from tying.
    const version = Math.max((cur?.version ?? 0) + 1, now * 1000 + Math.floor(Math.random() * 1000));
    await this.driver.insert('alert_lease', [{ name: this.name, holder: this.holder, expires_at: toChTime(expiresAt), version }]);
    if (!mine && (this.opts.settleMs ?? 2_000) > 0) await sleep(this.opts.settleMs ?? 2_000);
    const after = await this.current();
    return after?.holder === this.holder;
  }
}
