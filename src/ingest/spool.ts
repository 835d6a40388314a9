import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { open, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { readWhole, writeAll } from '../files.js';
import type { EventRow, SpanRow } from '../store/index.js';

/** Rows as ingest hands them to the batcher. */
export interface RowBatch {
  events: EventRow[];
  spans: SpanRow[];
  /**
   * Events whose id syncwatch generated for this request (the client sent none): no
   * stored row can carry such an id yet, so they skip the de-duplication look-up.
   */
  newIds?: ReadonlySet<EventRow>;
}

/**
 * One accepted row, serialised once: its JSON text is bytes `start`..`end` of `line`, the
 * spool line it was written in (or read back from), and, copied as they are, its line in
 * the JSONEachRow insert. Held as bytes outside the JS heap, a row waiting for its flush
 * costs the garbage collector nothing to keep (as a string it was copied at every young
 * collection it lived through). `tenant` and `eventId` are its de-duplication key (spans:
 * `''` and `otel:<trace><span>`); `lookup` is false when the id cannot be stored yet.
 */
export interface SpooledRow {
  line: Buffer;
  start: number;
  end: number;
  tenant: string;
  eventId: string;
  lookup: boolean;
}

/** A row from its JSON text (rows read from elsewhere than a spool line: staging, the first line format). */
export function textRow(json: string, tenant: string, eventId: string, lookup: boolean): SpooledRow {
  const line = Buffer.from(json);
  return { line, start: 0, end: line.length, tenant, eventId, lookup };
}

/** A row's JSON text. */
export const rowText = (r: SpooledRow): string => r.line.toString('utf8', r.start, r.end);

/** A row's JSON bytes (a view, not a copy). */
export const rowBytes = (r: SpooledRow): Buffer => r.line.subarray(r.start, r.end);

/** Rows as one JSONEachRow payload: each row's bytes, then LF. */
export function jsonPayload(rows: readonly SpooledRow[]): Buffer {
  let size = 0;
  for (const r of rows) size += r.end - r.start + 1;
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const r of rows) {
    at += r.line.copy(out, at, r.start, r.end);
    out[at++] = LF;
  }
  return out;
}

/** Rows accepted by one or more requests, on their way to the store. */
export interface Batch {
  events: SpooledRow[];
  spans: SpooledRow[];
}

export const emptyBatch = (): Batch => ({ events: [], spans: [] });
export const batchSize = (b: Batch) => b.events.length + b.spans.length;

/** The de-duplication key of a span: tenant `''`, id `otel:<trace><span>`. */
const spanId = (s: SpanRow) => `otel:${s.TraceId}${s.SpanId}`;

/*
 * Spool line format: one line per accepted request, written and synced before the 202.
 *
 *   #2 TAB <events> TAB <spans> TAB <crc32 of the rest's UTF-8> ( TAB <["tenant","id"]> TAB <row JSON> )* LF
 *
 * JSON.stringify never emits a raw tab or newline (it escapes them inside strings), so
 * replay splits a line back into the very row texts the insert needs, without parsing
 * the rows again; the counts and the checksum tell a complete line from a torn one.
 * Lines starting with `{` are the earlier format, `{"events":[…],"spans":[…]}`.
 */
const HEADER = /^#2\t(\d+)\t(\d+)\t(\d+)/;
const LF = 0x0a;
const TAB = 0x09;
const OPEN_BRACE = 0x7b;

/** Room for the header in front of the rows: `#2`, two counts and a crc32, with tabs (47 bytes with counts up to 10^15). */
const HEADER_ROOM = 48;

/**
 * Serialises each row once: the spool line and, later, the insert reuse the same text.
 * Each text is encoded straight into one buffer (no joined string, no second copy): the
 * rows are written after room for the header, which goes in front once the crc is known.
 */
export function encodeBatch(input: RowBatch): { batch: Batch; line: Buffer } {
  // Each row's line and place are set once the line is complete.
  const rows: SpooledRow[] = [];
  const texts: string[] = [];
  for (const r of input.events) {
    rows.push({ line: NO_LINE, start: 0, end: 0, tenant: r.tenant, eventId: r.event_id, lookup: !input.newIds?.has(r) });
    texts.push(JSON.stringify(r));
  }
  for (const s of input.spans) {
    rows.push({ line: NO_LINE, start: 0, end: 0, tenant: '', eventId: spanId(s), lookup: true });
    texts.push(JSON.stringify(s));
  }
  // The size when every text is ASCII, plus room for the last row's worst case (3 bytes a unit).
  let chars = 0;
  let longest = 0;
  for (let i = 0; i < rows.length; i++) {
    chars += texts[i].length + rows[i].eventId.length + rows[i].tenant.length + 16;
    longest = Math.max(longest, texts[i].length);
  }
  const writer = new LineWriter(HEADER_ROOM, chars + 2 * longest + 64);
  // Places in the writer's buffer (unchanged when it grows: it is copied whole), then in the line.
  for (let i = 0; i < rows.length; i++) {
    writer.field(keyJson(rows[i]));
    rows[i].start = writer.field(texts[i]);
    rows[i].end = writer.length;
  }
  const { line, offset } = writer.finish(`#2\t${input.events.length}\t${input.spans.length}\t`);
  for (const r of rows) {
    r.line = line;
    r.start -= offset;
    r.end -= offset;
  }
  return { batch: { events: rows.slice(0, input.events.length), spans: rows.slice(input.events.length) }, line };
}

const NO_LINE = Buffer.alloc(0);

/** Text JSON.stringify writes between quotes as it is: no quote, backslash, control character or surrogate. */
const PLAIN = /^[^"\\\u0000-\u001f\ud800-\udfff]*$/;

/** `JSON.stringify([tenant, eventId])`, without the array for the common plain key. */
const keyJson = ({ tenant, eventId }: { tenant: string; eventId: string }) => (PLAIN.test(tenant) && PLAIN.test(eventId) ? `["${tenant}","${eventId}"]` : JSON.stringify([tenant, eventId]));

/**
 * Builds one spool line in a growing buffer: tab-led UTF-8 fields after `room` reserved
 * bytes, then the header (ending in the crc32 of the fields' bytes) placed just before them.
 */
class LineWriter {
  private buf: Buffer;
  private end: number;

  /** `estimate`: the fields' size when they are ASCII (it grows as needed otherwise). */
  constructor(
    private readonly room: number,
    estimate: number,
  ) {
    this.buf = Buffer.allocUnsafe(room + estimate);
    this.end = room;
  }

  /** Appends a tab and the text; returns where the text starts in the buffer. */
  field(text: string): number {
    // UTF-8 takes at most 3 bytes per UTF-16 unit; +2 for the tab and the final LF.
    this.reserve(text.length * 3 + 2);
    this.buf[this.end++] = TAB;
    const start = this.end;
    this.end += this.buf.write(text, this.end);
    return start;
  }

  /** Bytes written so far (positions in the buffer). */
  get length(): number {
    return this.end;
  }

  /** The line: `head` + crc32 of the fields + the fields + LF; `offset`: where it starts in the buffer. */
  finish(head: string): { line: Buffer; offset: number } {
    const fields = this.buf.subarray(this.room, this.end);
    const header = `${head}${crc32(fields)}`;
    const start = this.room - header.length;
    this.buf.write(header, start, 'latin1');
    this.reserve(1);
    this.buf[this.end++] = LF;
    return { line: this.buf.subarray(start, this.end), offset: start };
  }

  private reserve(bytes: number): void {
    if (this.end + bytes <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.end + bytes));
    this.buf.copy(grown, 0, 0, this.end);
    this.buf = grown;
  }
}

/**
 * Decodes one spool line (without its LF); null when it is torn or corrupt (never
 * acknowledged, so skipped). The rows are views of the line's bytes: only the keys are parsed.
 */
function decodeLine(line: Buffer): Batch | null {
  if (line[0] === OPEN_BRACE) return decodeFirstFormat(line.toString('utf8'));
  const header = HEADER.exec(line.subarray(0, 48).toString('latin1'));
  if (!header) return null;
  const from = header[0].length;
  if (crc32(line.subarray(from)) !== Number(header[3])) return null;
  const nEvents = Number(header[1]);
  const nRows = nEvents + Number(header[2]);
  const out = emptyBatch();
  let at = from;
  try {
    for (let i = 0; i < nRows; i++) {
      // TAB key TAB json, for each row; the line ends after the last json.
      if (line[at] !== TAB) return null;
      const keyEnd = line.indexOf(TAB, at + 1);
      if (keyEnd < 0) return null;
      let end = line.indexOf(TAB, keyEnd + 1);
      if (end < 0) end = line.length;
      const [tenant, eventId] = JSON.parse(line.toString('utf8', at + 1, keyEnd)) as [string, string];
      (i < nEvents ? out.events : out.spans).push({ line, start: keyEnd + 1, end, tenant, eventId, lookup: true });
      at = end;
    }
  } catch {
    return null;
  }
  return at === line.length ? out : null;
}

function decodeFirstFormat(line: string): Batch | null {
  let b: { events: EventRow[]; spans: SpanRow[] };
  try {
    b = JSON.parse(line) as { events: EventRow[]; spans: SpanRow[] };
  } catch {
    return null;
  }
  return {
    events: b.events.map((r) => textRow(JSON.stringify(r), r.tenant, r.event_id, true)),
    spans: b.spans.map((s) => textRow(JSON.stringify(s), '', spanId(s), true)),
  };
}

interface Waiter {
  line: Buffer;
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
  /** When the first row was appended (ms), for the age of the oldest row waiting. */
  since: number | null = null;
  private queue: Waiter[] = [];
  private writing: Promise<void> | null = null;
  private handle: Promise<FileHandle> | null = null;

  constructor(readonly file: string) {}

  /** Appends an encoded batch (see encodeBatch); resolves once it is on disk. */
  append(batch: Batch, line: Buffer): Promise<void> {
    this.since ??= Date.now();
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
        this.bytes += await writeAll(fh, waiters.map((w) => w.line));
        await fh.datasync();
        for (const w of waiters) {
          for (const r of w.batch.events) this.rows.events.push(r);
          for (const s of w.batch.spans) this.rows.spans.push(s);
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

/**
 * Reads a segment back; a torn last line (a crash mid-write, never acknowledged) is
 * ignored. Every row is looked up again: a crash may have come between inserting a
 * row and recording its id.
 */
export async function readSegment(file: string): Promise<Batch> {
  const data = await readWhole(file);
  const out = emptyBatch();
  for (let start = 0; start < data.length; ) {
    let end = data.indexOf(LF, start);
    if (end < 0) end = data.length; // a torn last line: decodeLine refuses it
    const line = data.subarray(start, end);
    start = end + 1;
    if (line.length === 0) continue;
    const b = decodeLine(line);
    if (!b) continue;
    for (const r of b.events) out.events.push(r);
    for (const s of b.spans) out.spans.push(s);
  }
  return out;
}

/** The spool directory: the current segment, plus sealed ones not yet in the store. */
export class Spool {
  private seq: number;
  current: Segment;
  /** Sealed segments waiting on disk (store down or slow, or left by a crash), oldest first. */
  readonly backlog: { file: string; bytes: number; since: number }[];
  private backlogBytes = 0;

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    this.backlog = readdirSync(dir)
      .filter((f) => /^seg-\d+\.(spool|ndjson)$/.test(f)) // .ndjson: segments of the first line format
      .sort()
      .map((f) => {
        const st = statSync(path.join(dir, f));
        return { file: path.join(dir, f), bytes: st.size, since: st.birthtimeMs || st.mtimeMs };
      });
    for (const b of this.backlog) this.backlogBytes += b.bytes;
    const last = this.backlog.at(-1);
    this.seq = last ? Number(/seg-(\d+)/.exec(last.file)![1]) + 1 : 1;
    this.current = this.newSegment();
  }

  private newSegment(): Segment {
    return new Segment(path.join(this.dir, `seg-${String(this.seq++).padStart(12, '0')}.spool`));
  }

  /** Starts a new current segment and returns the previous one, sealed. */
  async rotate(): Promise<Segment> {
    const old = this.current;
    this.current = this.newSegment();
    await old.seal();
    return old;
  }

  /** When the oldest row not yet in the store was accepted (ms), or null when none waits. */
  oldestSince(): number | null {
    return this.backlog[0]?.since ?? this.current.since;
  }

  /** Bytes on disk, for the spool limit. */
  diskBytes(): number {
    return this.current.bytes + this.backlogBytes;
  }

  /** Parks a sealed segment on disk to be replayed later; its rows leave memory. */
  park(segment: Segment): void {
    segment.rows = emptyBatch();
    this.backlog.push({ file: segment.file, bytes: segment.bytes, since: segment.since ?? Date.now() });
    this.backlogBytes += segment.bytes;
  }

  /** Removes a segment whose rows are in the store (the oldest backlog entry or a just-flushed one). */
  async remove(file: string): Promise<void> {
    const i = this.backlog.findIndex((b) => b.file === file);
    if (i >= 0) this.backlogBytes -= this.backlog.splice(i, 1)[0].bytes;
    await rm(file, { force: true });
  }
}
