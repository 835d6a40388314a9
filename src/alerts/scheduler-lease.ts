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
export class Lease implements AlertLease {
  readonly holder: string;
  private readonly name: string;
  private held = false;
  private expiresAt = 0;

  constructor(
    private readonly driver: Driver,
    private readonly opts: LeaseOptions,
  ) {
    this.name = opts.name ?? 'alerts';
    this.holder = opts.holder ?? newHolderId();
  }

  /** Whether this process held the lease at its last check. */
  get isHeld(): boolean {
    return this.held;
  }

  private async current(): Promise<z.output<typeof leaseRow> | null> {
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

  private async write(expiresAt: number, version: number): Promise<void> {
    await this.driver.insert('alert_lease', [{ name: this.name, holder: this.holder, expires_at: toChTime(expiresAt), version }]);
  }

  /** Takes or renews the lease at `now`; resolves whether this process holds it. Renews only past half its life. */
  async acquire(now: number): Promise<boolean> {
    if (this.held && now < this.expiresAt - this.opts.ttlMs / 2) return true;
    const cur = await this.current();
    const mine = cur?.holder === this.holder;
    if (cur && !mine && now < cur.expiresAt + this.opts.takeoverDelayMs) return (this.held = false);
    // A random low part keeps two claims written in the same millisecond from tying.
    const version = Math.max((cur?.version ?? 0) + 1, now * 1000 + Math.floor(Math.random() * 1000));
    await this.write(now + this.opts.ttlMs, version);
    if (!mine && (this.opts.settleMs ?? 2_000) > 0) await sleep(this.opts.settleMs ?? 2_000);
    const after = await this.current();
    this.expiresAt = now + this.opts.ttlMs;
    return (this.held = after?.holder === this.holder);
  }

  /** Gives the lease up (graceful stop): this holder has stopped for sure, so another worker may take over at once. */
  async release(now: number): Promise<void> {
    if (!this.held) return;
    this.held = false;
    const cur = await this.current();
    if (cur?.holder === this.holder) await this.write(now - this.opts.takeoverDelayMs - 1, cur.version + 1);
  }
}
