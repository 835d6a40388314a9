import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { open, readFile, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { EventRow, SpanRow } from '../store/index.js';

/** Rows accepted by one or more requests, on their way to the store. */
export interface Batch {
  events: EventRow[];
  spans: SpanRow[];
}

export const emptyBatch = (): Batch => ({ events: [], spans: [] });
export const batchSize = (b: Batch) => b.events.length + b.spans.length;

interface Waiter {
  line: string;
  batch: Batch;
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * One append-only segment file of the write-ahead spool. Appends are group-committed:
 * every request waiting while an fsync runs is written and synced by the next one, so
 * a request is acknowledged only once its rows are on disk, at one fsync per burst.
 */
export class Segment {
  /** Rows appended and synced so far (dropped when the segment is parked on disk). */
  rows: Batch = emptyBatch();
  bytes = 0;
  private queue: Waiter[] = [];
  private writing: Promise<void> | null = null;
  private handle: Promise<FileHandle> | null = null;

  constructor(readonly file: string) {}

  append(batch: Batch): Promise<void> {
    const line = JSON.stringify(batch) + '\n';
    return new Promise((resolve, reject) => {
      this.queue.push({ line, batch, resolve, reject });
      this.writing ??= this.writeLoop();
    });
  }

  private async writeLoop(): Promise<void> {
    while (this.queue.length > 0) {
      const waiters = this.queue;
      this.queue = [];
      try {
        this.handle ??= open(this.file, 'a');
        const fh = await this.handle;
        const data = waiters.map((w) => w.line).join('');
        await fh.write(data);
        await fh.datasync();
        this.bytes += Buffer.byteLength(data);
        for (const w of waiters) {
          this.rows.events.push(...w.batch.events);
          this.rows.spans.push(...w.batch.spans);
          w.resolve();
        }
      } catch (err) {
        for (const w of waiters) w.reject(err as Error);
      }
    }
    this.writing = null;
  }

  /** Waits for appends in flight, then closes the file: after this the segment is complete. */
  async seal(): Promise<void> {
    while (this.writing) await this.writing;
    if (this.handle) await (await this.handle).close();
    this.handle = null;
  }
}

/** Reads a segment back; a torn last line (a crash mid-write, never acknowledged) is ignored. */
export async function readSegment(file: string): Promise<Batch> {
  const text = await readFile(file, 'utf8');
  const out = emptyBatch();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    let b: Batch;
    try {
      b = JSON.parse(line) as Batch;
    } catch {
      continue;
    }
    out.events.push(...b.events);
    out.spans.push(...b.spans);
  }
  return out;
}

/** The spool directory: the current segment, plus sealed ones not yet in the store. */
export class Spool {
  private seq: number;
  current: Segment;
  /** Sealed segments waiting on disk (store down or slow, or left by a crash), oldest first. */
  readonly backlog: { file: string; bytes: number }[];
  private backlogBytes = 0;

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    this.backlog = readdirSync(dir)
      .filter((f) => /^seg-\d+\.ndjson$/.test(f))
      .sort()
      .map((f) => ({ file: path.join(dir, f), bytes: statSync(path.join(dir, f)).size }));
    for (const b of this.backlog) this.backlogBytes += b.bytes;
    const last = this.backlog.at(-1);
    this.seq = last ? Number(/seg-(\d+)/.exec(last.file)![1]) + 1 : 1;
    this.current = this.newSegment();
  }

  private newSegment(): Segment {
    return new Segment(path.join(this.dir, `seg-${String(this.seq++).padStart(12, '0')}.ndjson`));
  }

  /** Starts a new current segment and returns the previous one, sealed. */
  async rotate(): Promise<Segment> {
    const old = this.current;
    this.current = this.newSegment();
    await old.seal();
    return old;
  }

  /** Bytes on disk, for the spool limit. */
  diskBytes(): number {
    return this.current.bytes + this.backlogBytes;
  }

  /** Parks a sealed segment on disk to be replayed later; its rows leave memory. */
  park(segment: Segment): void {
    segment.rows = emptyBatch();
    this.backlog.push({ file: segment.file, bytes: segment.bytes });
    this.backlogBytes += segment.bytes;
  }

  /** Removes a segment whose rows are in the store (the oldest backlog entry or a just-flushed one). */
  async remove(file: string): Promise<void> {
    const i = this.backlog.findIndex((b) => b.file === file);
    if (i >= 0) this.backlogBytes -= this.backlog.splice(i, 1)[0].bytes;
    await rm(file, { force: true });
  }
}
