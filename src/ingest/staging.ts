import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { z } from 'zod';
import { toChTime, type Driver } from '../store/index.js';
import { writeBatch, type WriteCounts } from './flush.js';
import { rowBytes, rowText, textRow, type Batch } from './spool.js';
import type { Clock } from '../clock.js';
import type { Leadership } from '../leadership.js';
import { Serial } from '../serial.js';

/**
 * Exact de-duplication with several API processes (docs/decisions.md): `api` processes
 * do not write events; they stage each flushed batch in `ingest_staging`, and the worker
 * holding the lease — the one writer — moves staged batches into the store with the
 * usual de-duplication (flush.ts). The look-up in event_ids and the insert after it are
 * then never run by two processes at once, so overlapping ids arriving through
 * different processes at the same moment are stored once.
 */

/**
 * One store writer per process: the batcher's own writes (role `all`) and the drain of
 * staged batches take turns, so neither looks up event_ids while the other inserts.
 */
export { Serial as WriteLock };

/** A batch's id: a hash of its rows, so the same rows re-staged (a crash, a retry, another process) are the same batch. */
export function batchId(batch: Batch): string {
  const h = createHash('sha256');
  for (const r of batch.events) h.update('e').update(rowBytes(r)).update('\n');
  for (const r of batch.spans) h.update('s').update(rowBytes(r)).update('\n');
  return h.digest('hex').slice(0, 32);
}

/** Stages a batch (what an `api` process does instead of writing the store). */
export async function stageBatch(driver: Driver, batch: Batch, now = Date.now()): Promise<void> {
  const id = batchId(batch);
  const stagedAt = toChTime(now);
  const total = batch.events.length + batch.spans.length;
  const rows = [...batch.events.map((r) => ['event', r] as const), ...batch.spans.map((r) => ['span', r] as const)].map(([kind, r], seq) => ({
    batch_id: id,
    staged_at: stagedAt,
    seq,
    batch_rows: total,
    kind,
    tenant: r.tenant,
    event_id: r.eventId,
    lookup: r.lookup ? 1 : 0,
    row: rowText(r),
  }));
  await driver.insert('ingest_staging', rows);
}

const pendingRow = z.object({ batch_id: z.string(), oldest: z.coerce.number() });
const stagedRow = z.object({ kind: z.string(), tenant: z.string(), event_id: z.string(), lookup: z.coerce.number(), row: z.string() });

/** Complete batches not yet written, oldest first (a batch is complete when all its rows are staged). */
async function pendingBatches(driver: Driver, limit: number): Promise<z.infer<typeof pendingRow>[]> {
  return driver.query({
    name: 'staging.pending',
    sql: `SELECT batch_id, toUnixTimestamp64Milli(min(staged_at)) AS oldest
          FROM ingest_staging
          WHERE batch_id NOT IN (SELECT batch_id FROM ingest_staging_done)
          GROUP BY batch_id
          HAVING uniqExact(seq) >= any(batch_rows)
          ORDER BY oldest, batch_id
          LIMIT {limit:UInt32}`,
    params: { limit },
    schema: pendingRow,
  });
}

async function readBatch(driver: Driver, id: string): Promise<Batch> {
  const rows = await driver.query({
    name: 'staging.batch',
    // A batch staged twice has every seq twice: one of each.
    sql: `SELECT kind, tenant, event_id, lookup, row FROM ingest_staging WHERE batch_id = {id:String} ORDER BY seq LIMIT 1 BY seq`,
    params: { id },
    schema: stagedRow,
  });
  const batch: Batch = { events: [], spans: [] };
  for (const r of rows) {
    const row = textRow(r.row, r.tenant, r.event_id, r.lookup === 1);
    (r.kind === 'span' ? batch.spans : batch.events).push(row);
  }
  return batch;
}

/**
 * The worker's side: while this process leads (holds the lease), writes staged
 * batches to the store, oldest first, one at a time, then marks each done. A crash
 * between the write and the mark re-writes the batch at the next drain, which the
 * event_ids look-up and the tables' insert de-duplication absorb (as for a spool replay).
 */
export class StagingDrain {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;
  /** When the oldest staged batch not yet written was staged (ms), at the last drain; null: none waited. */
  private oldestWaiting: number | null = null;

  constructor(
    private readonly driver: Driver,
    private readonly log: Logger,
    private readonly counts: WriteCounts,
    private readonly lock: Serial,
    private readonly opts: {
      intervalMs: number;
      leadership: Leadership;
      clock: Clock;
      batchesPerDrain?: number;
      /** Told of each batch once it is in the store (streaming alert evaluation counts its events). */
      written?: (batch: Batch) => void;
    },
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.drain().catch((err) => this.log.error({ err }, 'staged batches could not be written; retrying')), this.opts.intervalMs);
    this.timer.unref();
  }

  /** Age (ms) of the oldest staged batch seen waiting at the last drain; 0 when none. */
  lagMs(now = Date.now()): number {
    return this.oldestWaiting === null ? 0 : Math.max(0, now - this.oldestWaiting);
  }

  /** Writes what is staged (as long as this process holds the lease); resolves the number of batches written. */
  drain(): Promise<number> {
    this.running ??= this.drainAll().finally(() => (this.running = null));
    return this.running;
  }

  private async drainAll(): Promise<number> {
    let written = 0;
    for (;;) {
      if (!this.opts.leadership.isLeader) return written;
      const pending = await pendingBatches(this.driver, this.opts.batchesPerDrain ?? 20);
      this.oldestWaiting = pending[0]?.oldest ?? null;
      if (pending.length === 0) return written;
      for (const { batch_id } of pending) {
        if (!this.opts.leadership.isLeader) return written;
        const batch = await this.lock.run(async () => {
          const now = this.opts.clock.now();
          const staged = await readBatch(this.driver, batch_id);
          await writeBatch(this.driver, staged, this.log, this.counts, now);
          await this.driver.insert('ingest_staging_done', [{ batch_id, done_at: toChTime(now) }]);
          return staged;
        });
        this.opts.written?.(batch);
        written++;
      }
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => {});
  }
}
