import type { Clock } from '../clock.js';
import { SOLE_LEADER, type Leadership } from '../leadership.js';
import type { Logger } from '../logger.js';
import type { Outbox } from './outbox.js';

/** What the dispatcher drives: the outbox's due-work pass and its enqueue hook. */
export type DispatchedOutbox = Pick<Outbox, 'dispatchDue' | 'pendingCount' | 'nextDueAt' | 'onEnqueue'>;

/** How the dispatcher is driven. */
export interface DispatcherOptions {
  /**
   * Passes on a timer (retries that come due) and at once whenever work is queued, every
   * `everyMs`; 0 = only when woken explicitly (tests drive it on a manual clock).
   */
  everyMs: number;
}

/**
 * The one thing that sends the outbox (docs/architecture.md#alerts-and-notifications). Nothing else
 * calls `outbox.dispatchDue`: the engine wakes it when it has queued messages, the report
 * scheduler's and the API's enqueues wake it through the outbox, and a timer picks up
 * retries that come due. It acts only while this process leads (holds the alerting lease),
 * and one pass runs at a time: a wake during a pass runs one more pass right after it,
 * and the caller's promise resolves when that pass is done.
 */
export class Dispatcher {
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private current: Promise<void> | null = null;
  private next: Promise<void> | null = null;
  private leadership: Leadership = SOLE_LEADER;

  constructor(
    private readonly outbox: DispatchedOutbox,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly opts: DispatcherOptions,
  ) {}

  /** Starts dispatching on behalf of `leadership` (the engine in a worker; alone, always). */
  start(leadership: Leadership = SOLE_LEADER): void {
    this.leadership = leadership;
    this.running = true;
    if (this.opts.everyMs > 0) {
      this.timer = setInterval(() => void this.wake(), this.opts.everyMs);
      this.timer.unref();
      this.outbox.onEnqueue = () => setImmediate(() => void this.wake());
      void this.wake();
    }
  }

  /** Whether passes may run now: started, not stopped, and leading. */
  get active(): boolean {
    return this.running && this.leadership.isLeader;
  }

  /**
   * Runs a pass over what is due now (or joins the one queued behind a running pass);
   * resolves when it is done. Does nothing when not active.
   */
  wake(): Promise<void> {
    if (!this.active) return Promise.resolve();
    if (!this.current) return (this.current = this.pass().finally(() => (this.current = null)));
    // A pass is running: it may have looked before this work was queued, so one more follows it.
    this.next ??= this.current.then(() => {
      this.next = null;
      return this.wake();
    });
    return this.next;
  }

  /**
   * Keeps passing until nothing is pending or `deadline` (wall time) passes, sleeping until
   * the next retry is due (the CLI's "send and wait"). Resolves whether the outbox is empty.
   */
  async untilIdle(deadline: number): Promise<boolean> {
    while (this.outbox.pendingCount() > 0 && Date.now() < deadline) {
      await this.wake();
      const due = this.outbox.nextDueAt();
      if (due !== null) await new Promise((r) => setTimeout(r, Math.min(Math.max(due - this.clock.now(), 50), 5_000, Math.max(0, deadline - Date.now()))));
    }
    return this.outbox.pendingCount() === 0;
  }

  /** Stops the timer and waits for the pass in progress (the outbox drains attempts in flight). */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.outbox.onEnqueue = null;
    await this.next?.catch(() => {});
    await this.current?.catch(() => {});
  }

  private async pass(): Promise<void> {
    try {
      await this.outbox.dispatchDue(this.clock.now());
    } catch (err) {
      this.log.error({ err }, 'notification dispatch failed; the next pass tries again');
    }
  }
}
