import { systemClock, type Clock } from '../clock.js';
import type { Logger } from 'pino';
import { unavailable } from '../errors.js';
import type { Driver } from '../store/index.js';
import { writeBatch } from './flush.js';
import { batchSize, encodeBatch, readSegment, Spool, type Batch, type RowBatch, type Segment } from './spool.js';
import { stageBatch, WriteLock } from './staging.js';

/** Batcher settings (config.ingest). */
export interface BatcherOptions {
  spoolDir: string;
  batchRows: number;
  batchMs: number;
  spoolMaxBytes: number;
  /** Stamps `received_at` of de-duplication ids and quarantine rows (the service clock). */
  clock?: Clock;
  /**
   * Role `api`/`worker`: flushed batches are staged for the worker holding the lease
   * (staging.ts) instead of written to the store, so there is one writer of events.
   */
  stage?: boolean;
  /** Shared with the staging drain of this process (see WriteLock). */
  lock?: WriteLock;
}

/** Counters the /metrics endpoint and tests read. */
export interface BatcherStats {
  acceptedRows: number;
  storedEvents: number;
  storedSpans: number;
  duplicatesDropped: number;
  flushFailures: number;
  /** Rows the store refused, moved to the quarantine (ingest_quarantine). */
  quarantinedRows: number;
}

/**
 * After this many failed attempts at the same rows while the store answers, the rows
 * themselves are suspected even when the error is not a recognised data refusal: the
 * write is split, and rows that fail while others go in are quarantined.
 */
const SUSPECT_AFTER_FAILURES = 3;

/**
 * While a flush runs, rows keep arriving; up to this many times batchRows wait in memory
 * (as their JSON text, ~0.5 KB a row) for the next flush, which takes them all in one
 * insert. Beyond that, full segments are parked on disk and replayed later.
 */
const MAX_WAITING_BATCHES = 4;

/**
 * Between the API and the store: acknowledges a request once its rows are in the
 * on-disk spool, flushes to ClickHouse by size and by time, one flush at a time (so
 * de-duplication sees every earlier row), and replays what the store did not take.
 * Memory is bounded: rows waiting on a store that is down stay on disk, not in memory.
 * Rows are stamped by the service clock; the back-off and the spool's age are real
 * elapsed time (they pace I/O, so a test's manual clock must not stop them).
 */
export class Batcher {
  readonly stats: BatcherStats = { acceptedRows: 0, storedEvents: 0, storedSpans: 0, duplicatesDropped: 0, flushFailures: 0, quarantinedRows: 0 };
  private readonly spool: Spool;
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  /** The one flush queued behind the running one: every flush() call made meanwhile shares it. */
  private followUp: Promise<void> | null = null;
  private retryAt = 0;
  private failures = 0;
  /** When the rows being written now were first accepted. */
  private writingSince: number | null = null;
  private closed = false;
  /** Writes of this process take turns (shared with its staging drain when given). */
  private readonly lock: WriteLock;

  constructor(
    private readonly driver: Driver,
    private readonly opts: BatcherOptions,
    private readonly log: Logger,
  ) {
    this.spool = new Spool(opts.spoolDir);
    this.lock = opts.lock ?? new WriteLock();
    // The timer respects the back-off after a failed write; an explicit flush() does not.
    this.timer = setInterval(() => {
      if (Date.now() >= this.retryAt) void this.flush().catch(() => {});
    }, opts.batchMs);
    this.timer.unref();
  }

  /** Rows parked on disk waiting for the store (0 when all is well). */
  backlogSegments(): number {
    return this.spool.backlog.length;
  }

  /** Bytes of accepted rows on disk not yet in the store (the current segment and the backlog). */
  spoolBytes(): number {
    return this.spool.diskBytes();
  }

  /** The spool limit: at it, ingest answers 503. */
  spoolLimitBytes(): number {
    return this.opts.spoolMaxBytes;
  }

  /** How long the oldest accepted row not yet in the store has waited (ms; 0 when none waits). */
  oldestPendingMs(now = Date.now()): number {
    const since = Math.min(this.spool.oldestSince() ?? Infinity, this.writingSince ?? Infinity);
    return Number.isFinite(since) ? Math.max(0, now - since) : 0;
  }

  /** The same in seconds (the /metrics gauge). */
  spoolOldestAgeSeconds(now = Date.now()): number {
    return this.oldestPendingMs(now) / 1000;
  }

  /** Durably accepts rows: resolves once they are on disk; refuses with 503 when the spool is full. */
  async accept(rows: RowBatch): Promise<void> {
    if (this.closed) throw unavailable('syncwatch is shutting down; retry shortly', 5);
    if (this.spool.diskBytes() >= this.opts.spoolMaxBytes) {
      throw unavailable('the store is not keeping up and the spool is full; retry later', 30);
    }
    // Each row is serialised once, here: the spool line and, later, the insert reuse the text.
    const { batch, line } = encodeBatch(rows);
    await this.spool.current.append(batch, line);
    this.stats.acceptedRows += batchSize(batch);
    const waiting = batchSize(this.spool.current.rows);
    if (waiting >= this.opts.batchRows) {
      // While a slow flush runs, or the store is down (backing off), park full segments on
      // disk rather than holding them in memory.
      const backingOff = Date.now() < this.retryAt;
      if ((this.flushing || backingOff) && waiting >= this.opts.batchRows * MAX_WAITING_BATCHES) this.spool.park(await this.spool.rotate());
      else if (!backingOff) void this.flush().catch(() => {});
    }
  }

  /**
   * Writes everything accepted so far to the store (backlog first); rejects when the store
   * did not take it (the rows stay in the spool). Serialised: one flush at a time.
   */
  flush(): Promise<void> {
    if (this.flushing) {
      // Coalesced: one follow-up flush takes everything accepted meanwhile, in one insert,
      // rather than one small flush per call queued behind the running one.
      this.followUp ??= this.flushing
        .finally(() => {
          this.followUp = null;
        })
        .then(() => this.flush());
      return this.followUp;
    }
    this.flushing = this.flushOnce().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  private async flushOnce(): Promise<void> {
    try {
      while (this.spool.backlog.length > 0) {
        const { file, since } = this.spool.backlog[0];
        this.writingSince = since;
        await this.write(await readSegment(file));
        await this.spool.remove(file);
        this.failures = 0;
      }
      if (batchSize(this.spool.current.rows) === 0 && this.spool.current.bytes === 0) return;
      this.writingSince = this.spool.current.since;
      const segment: Segment = await this.spool.rotate();
      try {
        await this.write(segment.rows);
        await this.spool.remove(segment.file);
      } catch (err) {
        this.spool.park(segment);
        throw err;
      }
      this.failures = 0;
    } catch (err) {
      this.stats.flushFailures++;
      this.failures++;
      const backoffMs = Math.min(30_000, 500 * 2 ** Math.min(this.failures, 6));
      this.retryAt = Date.now() + backoffMs;
      this.log.error({ err, backoffMs, backlog: this.spool.backlog.length }, 'store write failed; rows kept in the spool');
      throw err;
    } finally {
      this.writingSince = null;
    }
  }

  /**
   * Inserts rows not already stored, quarantining rows the store refuses (see
   * writeBatch). Rows that keep failing while the store answers are suspected too.
   */
  private async write(batch: Batch): Promise<void> {
    if (this.opts.stage) return stageBatch(this.driver, batch);
    const suspect = this.failures >= SUSPECT_AFTER_FAILURES && (await this.driver.ping().catch(() => false));
    await this.lock.run(() => writeBatch(this.driver, batch, this.log, this.stats, (this.opts.clock ?? systemClock).now(), suspect));
  }

  /** Stops taking rows and writes everything accepted (SIGTERM drain). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    try {
      await this.flush();
    } catch {
      // Already logged; the rows stay in the spool and are replayed at the next start.
    }
    await this.spool.current.seal();
  }
}
