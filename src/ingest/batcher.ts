import { statSync } from 'node:fs';
import type { Logger } from 'pino';
import { unavailable } from '../errors.js';
import { eventKey, findStoredEventKeys, insertEventIds, insertEventJson, insertSpanJson, toChTime, type Driver } from '../store/index.js';
import { batchSize, encodeBatch, readSegment, Spool, type Batch, type RowBatch, type Segment, type SpooledRow } from './spool.js';

/** Batcher settings (config.ingest). */
export interface BatcherOptions {
  spoolDir: string;
  batchRows: number;
  batchMs: number;
  spoolMaxBytes: number;
}

/** Counters the /metrics endpoint and tests read. */
export interface BatcherStats {
  acceptedRows: number;
  storedEvents: number;
  storedSpans: number;
  duplicatesDropped: number;
  flushFailures: number;
}

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
 */
export class Batcher {
  readonly stats: BatcherStats = { acceptedRows: 0, storedEvents: 0, storedSpans: 0, duplicatesDropped: 0, flushFailures: 0 };
  private readonly spool: Spool;
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  /** The one flush queued behind the running one: every flush() call made meanwhile shares it. */
  private followUp: Promise<void> | null = null;
  private retryAt = 0;
  private failures = 0;
  private closed = false;

  constructor(
    private readonly driver: Driver,
    private readonly opts: BatcherOptions,
    private readonly log: Logger,
  ) {
    this.spool = new Spool(opts.spoolDir);
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

  /** Bytes of accepted rows on disk in the spool (the current segment and the backlog). */
  spoolBytes(): number {
    return this.spool.diskBytes();
  }

  /** Seconds since the oldest segment waiting for the store was written; 0 when none waits. */
  spoolOldestAgeSeconds(now = Date.now()): number {
    const oldest = this.spool.backlog[0];
    if (!oldest) return 0;
    try {
      return Math.max(0, (now - statSync(oldest.file).mtimeMs) / 1000);
    } catch {
      return 0; // flushed and removed meanwhile
    }
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
        const { file } = this.spool.backlog[0];
        await this.write(await readSegment(file));
        await this.spool.remove(file);
      }
      if (batchSize(this.spool.current.rows) === 0 && this.spool.current.bytes === 0) return;
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
    }
  }

  /**
   * Inserts rows not already stored: events and spans are de-duplicated by (tenant, id),
   * within the batch and against event_ids. Only ids that could be stored are looked up:
   * an id generated for this request is new (on replay from disk every id is looked up).
   */
  private async write(batch: Batch): Promise<void> {
    const rows = batch.events.length === 0 ? batch.spans : batch.spans.length === 0 ? batch.events : [...batch.events, ...batch.spans];
    const stored = await findStoredEventKeys(
      this.driver,
      rows.filter((r) => r.lookup).map((r) => ({ tenant: r.tenant, event_id: r.eventId })),
    );
    const seen = new Set<string>();
    const fresh = (r: SpooledRow) => {
      if (!r.lookup) return true;
      const key = eventKey(r.tenant, r.eventId);
      if (stored.has(key) || seen.has(key)) return false;
      seen.add(key);
      return true;
    };
    const events = batch.events.filter(fresh);
    const spans = batch.spans.filter(fresh);
    this.stats.duplicatesDropped += batchSize(batch) - events.length - spans.length;
    if (events.length > 0) await insertEventJson(this.driver, events.map((r) => r.json));
    if (spans.length > 0) await insertSpanJson(this.driver, spans.map((r) => r.json));
    // Ids last: a crash before this line re-inserts on replay (ReplacingMergeTree absorbs it); never loses.
    const now = toChTime(Date.now());
    await insertEventIds(this.driver, [...events, ...spans].map((r) => ({ event_id: r.eventId, tenant: r.tenant, received_at: now })));
    this.stats.storedEvents += events.length;
    this.stats.storedSpans += spans.length;
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
