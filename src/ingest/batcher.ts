import type { Logger } from 'pino';
import { unavailable } from '../errors.js';
import { eventKey, findStoredEventKeys, insertEventIds, insertEvents, insertSpans, toChTime, type Driver, type EventRow } from '../store/index.js';
import { batchSize, readSegment, Spool, type Batch, type Segment } from './spool.js';

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

const spanKey = (traceId: string, spanId: string) => eventKey('', `otel:${traceId}${spanId}`);

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

  /** Durably accepts rows: resolves once they are on disk; refuses with 503 when the spool is full. */
  async accept(batch: Batch): Promise<void> {
    if (this.closed) throw unavailable('syncwatch is shutting down; retry shortly', 5);
    if (this.spool.diskBytes() >= this.opts.spoolMaxBytes) {
      throw unavailable('the store is not keeping up and the spool is full; retry later', 30);
    }
    await this.spool.current.append(batch);
    this.stats.acceptedRows += batchSize(batch);
    const waiting = batchSize(this.spool.current.rows);
    if (waiting >= this.opts.batchRows) {
      // While a slow flush runs, park full segments on disk rather than holding them in memory.
      if (this.flushing && waiting >= this.opts.batchRows * 2) this.spool.park(await this.spool.rotate());
      else if (Date.now() >= this.retryAt) void this.flush().catch(() => {});
    }
  }

  /**
   * Writes everything accepted so far to the store (backlog first); rejects when the store
   * did not take it (the rows stay in the spool). Serialised: one flush at a time.
   */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing.then(() => this.flush());
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

  /** Inserts rows not already stored: events and spans are de-duplicated by id. */
  private async write(batch: Batch): Promise<void> {
    const seen = new Set<string>();
    const keyed = [
      ...batch.events.map((r) => ({ key: eventKey(r.tenant, r.event_id), tenant: r.tenant, event_id: r.event_id })),
      ...batch.spans.map((s) => ({ key: spanKey(s.TraceId, s.SpanId), tenant: '', event_id: `otel:${s.TraceId}${s.SpanId}` })),
    ];
    const stored = await findStoredEventKeys(this.driver, keyed);
    const fresh = (key: string) => {
      if (stored.has(key) || seen.has(key)) return false;
      seen.add(key);
      return true;
    };
    const events: EventRow[] = batch.events.filter((r) => fresh(eventKey(r.tenant, r.event_id)));
    const spans = batch.spans.filter((s) => fresh(spanKey(s.TraceId, s.SpanId)));
    this.stats.duplicatesDropped += batchSize(batch) - events.length - spans.length;
    if (events.length > 0) await insertEvents(this.driver, events);
    if (spans.length > 0) await insertSpans(this.driver, spans);
    // Ids last: a crash before this line re-inserts on replay (ReplacingMergeTree absorbs it); never loses.
    const now = toChTime(Date.now());
    await insertEventIds(this.driver, [
      ...events.map((r) => ({ event_id: r.event_id, tenant: r.tenant, received_at: now })),
      ...spans.map((s) => ({ event_id: `otel:${s.TraceId}${s.SpanId}`, tenant: '', received_at: now })),
    ]);
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
