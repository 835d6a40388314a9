import { performance } from 'node:perf_hooks';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { Driver } from '../store/index.js';
import { DEFAULT_RETRY_POLICY, retryDelayMs, type RetryPolicy } from './backoff.js';
import type { DeliveryResult, NotificationMessage } from './model.js';
import { deliveryId, targetKey, type ChannelRegistry, type Target } from './registry.js';
import { findDeliveryIds, getDeliveryLog, getPendingDeliveries, insertAttempts, insertDeliveries, newDelivery } from './outbox-store.js';
import type { Delivery, DeliveryAttempt, DeliveryFilter } from './outbox-store.js';

/** What the outbox needs. */
export interface OutboxOptions {
  driver: Driver;
  channels: ChannelRegistry;
  clock: Clock;
  log: Logger;
  policy?: Partial<RetryPolicy>;
  /** Timeout of one attempt. */
  timeoutMs?: number;
  /** Deliveries attempted at once. */
  concurrency?: number;
}

/** What one dispatch pass did. */
export interface DispatchSummary {
  attempted: number;
  delivered: number;
  retrying: number;
  dead: number;
  superseded: number;
}

type Outcome = 'delivered' | 'retrying' | 'dead' | 'superseded';

const TRANSITIONS = new Set<NotificationMessage['type']>(['alert.firing', 'alert.updated', 'alert.resolved']);

/** The delivery log's note on a delivery that was superseded. */
function supersededNote(later: Delivery | string): string {
  return typeof later === 'string'
    ? `superseded by a later transition (delivery ${later}); not retried`
    : `superseded by ${later.message.type} (delivery ${later.id}) before it could be delivered`;
}

/** True when `later` makes `earlier` stale: both alert transitions, and `later` covers every alert of `earlier`. */
function supersedes(later: Delivery, earlier: Delivery): boolean {
  const a = earlier.message;
  const b = later.message;
  if (!TRANSITIONS.has(a.type) || !TRANSITIONS.has(b.type) || a.id === b.id || a.createdAt > b.createdAt) return false;
  if (targetKey(earlier.target) !== targetKey(later.target) || a.alerts.length === 0) return false;
  const covered = new Set(b.alerts.map((x) => x.fingerprint));
  return a.alerts.every((x) => covered.has(x.fingerprint));
}

/**
 * The outbox (docs/notify.md#delivery-and-retries): at-least-once delivery of each (message, target) with
 * retries, backoff and a dead letter. Every state change is written to the store
 * (notification_outbox, and each attempt to notification_attempts) before it counts as
 * done, and the pending deliveries are read back at start, so a restart resumes them.
 * Between starts the pending set lives in memory, so a dispatch pass scans no table.
 * A delivery that got a 2xx (or SMTP 250) leaves the pending set at once and is never sent again.
 */
export class Outbox {
  private readonly pending = new Map<string, Delivery>();
  private readonly inFlight = new Set<string>();
  private readonly claimed = new Set<string>();
  /** In-flight deliveries made stale meanwhile: if their attempt fails, they are not retried. */
  private readonly staleInFlight = new Map<string, string>();
  private readonly running = new Set<Promise<unknown>>();
  // Writes that failed (store down): retried before each pass, so the store catches up.
  private readonly unsaved = new Map<string, Delivery>();
  private unsavedAttempts: DeliveryAttempt[] = [];
  private loading: Promise<void> | null = null;
  private readonly policy: RetryPolicy;
  private readonly timeoutMs: number;
  private readonly concurrency: number;
  /** Called after new deliveries are queued (the notifier dispatches at once rather than at the next tick). */
  onEnqueue: (() => void) | null = null;

  constructor(private readonly opts: OutboxOptions) {
    this.policy = { ...DEFAULT_RETRY_POLICY, ...opts.policy };
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.concurrency = opts.concurrency ?? 8;
  }

  /** Reads the pending deliveries a previous process left (once; later calls wait for the same read). */
  load(): Promise<void> {
    this.loading ??= getPendingDeliveries(this.opts.driver).then(
      (rows) => {
        for (const d of rows) if (!this.pending.has(d.id) && !this.inFlight.has(d.id)) this.pending.set(d.id, d);
        if (rows.length) this.opts.log.info({ pending: rows.length }, 'resuming pending notification deliveries');
      },
      (err) => {
        this.loading = null;
        throw err;
      },
    );
    return this.loading;
  }

  /**
   * Queues one delivery of `message` per target. Idempotent: the delivery id is derived
   * from (message.id, target), and a delivery already queued, delivered or dead is not
   * queued again. Resolves once the deliveries are stored; returns their ids.
   */
  async enqueue(message: NotificationMessage, targets: readonly Target[]): Promise<string[]> {
    if (this.loading) await this.loading;
    const ids = targets.map((t) => deliveryId(message.id, t));
    const fresh = new Map<string, Target>();
    ids.forEach((id, i) => {
      if (!this.pending.has(id) && !this.inFlight.has(id) && !this.claimed.has(id)) fresh.set(id, targets[i]);
    });
    if (fresh.size === 0) return [...new Set(ids)];
    for (const id of fresh.keys()) this.claimed.add(id);
    try {
      const known = await findDeliveryIds(this.opts.driver, [...fresh.keys()]);
      const now = this.opts.clock.now();
      const created: Delivery[] = [...fresh]
        .filter(([id]) => !known.has(id))
        .map(([id, target]) => newDelivery(id, message, target, now, 1));
      if (created.length) {
        await insertDeliveries(this.opts.driver, created);
        for (const d of created) this.pending.set(d.id, d);
        await this.supersedeBy(created, now);
        this.onEnqueue?.();
      }
    } finally {
      for (const id of fresh.keys()) this.claimed.delete(id);
    }
    return [...new Set(ids)];
  }

  /**
   * Deliveries still pending that a new one makes stale (a "firing" waiting on a receiver
   * that is down, when the "resolved" of the same alerts is queued) are marked superseded
   * and never sent; the delivery log says by which delivery.
   */
  private async supersedeBy(created: readonly Delivery[], now: number): Promise<void> {
    for (const later of created) {
      for (const earlier of this.pending.values()) {
        if (earlier.id === later.id || !supersedes(later, earlier)) continue;
        if (this.inFlight.has(earlier.id)) {
          this.staleInFlight.set(earlier.id, later.id);
          continue;
        }
        this.pending.delete(earlier.id);
        const next: Delivery = { ...earlier, status: 'superseded', lastError: supersededNote(later), nextAttemptAt: now, updatedAt: now, version: earlier.version + 1 };
        this.opts.log.info({ deliveryId: earlier.id, by: later.id }, 'notification superseded by a later transition; not sent');
        await insertDeliveries(this.opts.driver, [next]).catch((err: unknown) => {
          this.unsaved.set(next.id, next);
          this.opts.log.warn({ err, deliveryId: next.id }, 'delivery state not stored yet; will retry');
        });
      }
    }
  }

  /** Attempts every pending delivery that is due at `now`, at most `concurrency` at a time. */
  async dispatchDue(now: number = this.opts.clock.now()): Promise<DispatchSummary> {
    await this.flushUnsaved();
    const due = [...this.pending.values()]
      .filter((d) => d.nextAttemptAt <= now && !this.inFlight.has(d.id))
      .sort((a, b) => a.nextAttemptAt - b.nextAttemptAt);
    const summary: DispatchSummary = { attempted: 0, delivered: 0, retrying: 0, dead: 0, superseded: 0 };
    let next = 0;
    const worker = async () => {
      while (next < due.length) {
        const d = this.pending.get(due[next++].id);
        if (!d || this.inFlight.has(d.id)) continue;
        const { outcome } = await this.track(this.attempt(d, false));
        summary.attempted++;
        summary[outcome]++;
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, due.length) }, worker));
    return summary;
  }

  /** Sends one message to one target now, once, and logs it as a delivery (the "send a test" call). */
  async sendNow(message: NotificationMessage, target: Target): Promise<DeliveryResult & { deliveryId: string }> {
    const now = this.opts.clock.now();
    // Version 0: the first write is the outcome of its one attempt.
    const d = newDelivery(deliveryId(message.id, target), message, target, now, 0);
    const { result } = await this.track(this.attempt(d, true));
    return { ...result, deliveryId: d.id };
  }

  /** The delivery log: deliveries with every attempt (the API removes secrets). */
  list(filter: DeliveryFilter) {
    return getDeliveryLog(this.opts.driver, filter);
  }

  /** Deliveries waiting for a (first or next) attempt. */
  pendingCount(): number {
    return this.pending.size;
  }

  /** When the next pending delivery is due (null: nothing pending). */
  nextDueAt(): number | null {
    let min: number | null = null;
    for (const d of this.pending.values()) if (min === null || d.nextAttemptAt < min) min = d.nextAttemptAt;
    return min;
  }

  /** Waits for attempts in flight and writes what is unsaved (graceful stop). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.running]);
    await this.flushUnsaved();
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.running.add(p);
    void p.finally(() => this.running.delete(p)).catch(() => {});
    return p;
  }

  private async send(d: Delivery, attempt: number, now: number): Promise<DeliveryResult> {
    const channel = this.opts.channels[d.target.channel];
    if (!channel) return { ok: false, retryable: false, error: `no channel ${d.target.channel}` };
    try {
      return await channel(d.target, d.message, { attempt, timeoutMs: this.timeoutMs, now });
    } catch (err) {
      return { ok: false, retryable: true, error: `channel error: ${(err as Error).message}` };
    }
  }

  private async attempt(d: Delivery, once: boolean): Promise<{ outcome: Outcome; result: DeliveryResult }> {
    this.inFlight.add(d.id);
    try {
      const number = d.attempts + 1;
      const startedAt = this.opts.clock.now();
      const t0 = performance.now();
      const result = await this.send(d, number, startedAt);
      const durationMs = performance.now() - t0;
      const at = this.opts.clock.now();
      const staleBy = this.staleInFlight.get(d.id);
      this.staleInFlight.delete(d.id);
      let outcome: Outcome = result.ok ? 'delivered' : once || !result.retryable || number >= this.policy.maxAttempts ? 'dead' : 'retrying';
      if (outcome === 'retrying' && staleBy) outcome = 'superseded';
      const error = outcome === 'superseded' ? `${result.error ?? 'failed'}; then ${supersededNote(staleBy!)}` : result.ok ? (result.error ?? null) : (result.error ?? 'failed');
      const next: Delivery = {
        ...d,
        status: outcome === 'retrying' ? 'pending' : outcome,
        attempts: number,
        nextAttemptAt: outcome === 'retrying' ? at + retryDelayMs(number, this.policy, result.retryAfterMs) : at,
        lastStatus: result.status ?? null,
        lastError: outcome === 'dead' && result.retryable && !once ? `gave up after ${number} attempts: ${error}` : error,
        updatedAt: at,
        version: d.version + 1,
      };
      if (outcome === 'retrying') this.pending.set(d.id, next);
      else this.pending.delete(d.id);
      const log = { deliveryId: d.id, messageId: d.message.id, type: d.message.type, channel: d.target.channel, attempt: number, status: result.status };
      if (outcome === 'superseded') this.opts.log.info({ ...log, by: staleBy }, 'notification superseded by a later transition; not retried');
      else if (outcome === 'dead') this.opts.log.warn({ ...log, error: next.lastError }, 'notification dead-lettered');
      else if (outcome === 'retrying') this.opts.log.info({ ...log, error, retryAt: new Date(next.nextAttemptAt).toISOString() }, 'notification attempt failed; will retry');
      else this.opts.log.debug(log, 'notification delivered');
      await this.save(next, {
        deliveryId: d.id, attempt: number, at: startedAt, status: result.status ?? null, ok: result.ok,
        retryable: result.retryable, error: result.ok ? null : error, durationMs,
      });
      return { outcome, result };
    } finally {
      this.inFlight.delete(d.id);
    }
  }

  private async save(d: Delivery, attempt: DeliveryAttempt): Promise<void> {
    const later = (err: unknown) => this.opts.log.warn({ err, deliveryId: d.id }, 'delivery state not stored yet; will retry');
    await insertAttempts(this.opts.driver, [attempt]).catch((err: unknown) => {
      this.unsavedAttempts.push(attempt);
      later(err);
    });
    await insertDeliveries(this.opts.driver, [d]).then(
      () => this.unsaved.delete(d.id),
      (err: unknown) => {
        this.unsaved.set(d.id, d);
        later(err);
      },
    );
  }

  private async flushUnsaved(): Promise<void> {
    if (this.unsavedAttempts.length) {
      const batch = this.unsavedAttempts;
      this.unsavedAttempts = [];
      await insertAttempts(this.opts.driver, batch).catch(() => this.unsavedAttempts.unshift(...batch));
    }
    if (this.unsaved.size) {
      const batch = [...this.unsaved.values()];
      this.unsaved.clear();
      await insertDeliveries(this.opts.driver, batch).catch(() => {
        for (const d of batch) if (!this.unsaved.has(d.id)) this.unsaved.set(d.id, d);
      });
    }
  }
}
