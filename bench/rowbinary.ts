/**
 * RowBinary encoding of `events` rows, so the embedded engine reads an insert without
 * parsing text (chDB's Node insert takes text formats only; a binary payload reaches the
 * engine as `INSERT … SELECT FROM file(path, 'RowBinary', structure)`).
 * Layout per ClickHouse RowBinary: String = LEB128 length + UTF-8 bytes (LowCardinality
 * the same), DateTime64(3) = Int64 milliseconds, numbers little-endian, Map = LEB128
 * count + key/value pairs.
 */
import type { EventRow } from '../src/store/index.js';

/** The `events` columns in table order, as the file() structure argument. */
export const EVENTS_STRUCTURE =
  "event_id String, type String, ts DateTime64(3), received_at DateTime64(3), tenant String, integration String, " +
  'connection String, flow String, run String, record_id String, record_type String, record_value Float64, has_value UInt8, ' +
  'currency String, failure_category String, failure_code String, message String, http_status UInt16, records_total UInt32, ' +
  'duration_ms UInt64, attributes Map(String, String), source String, failure_retryable UInt8';

/** A growing byte buffer with the few writers RowBinary needs. */
export class RowBinaryWriter {
  private buf: Buffer;
  private at = 0;

  constructor(initial = 1 << 20) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.at + n));
    this.buf.copy(next, 0, 0, this.at);
    this.buf = next;
  }

  private varint(n: number): void {
    while (n >= 0x80) {
      this.buf[this.at++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    this.buf[this.at++] = n;
  }

  string(s: string): void {
    // Worst case 3 bytes per UTF-16 unit, plus a 5-byte length.
    this.room(s.length * 3 + 5);
    if (s.length < 0x80 && isAscii(s)) {
      this.buf[this.at++] = s.length;
      for (let i = 0; i < s.length; i++) this.buf[this.at++] = s.charCodeAt(i);
      return;
    }
    const bytes = Buffer.byteLength(s);
    this.varint(bytes);
    this.at += this.buf.write(s, this.at, 'utf8');
  }

  uint8(n: number): void {
    this.room(1);
    this.buf[this.at++] = n;
  }

  uint16(n: number): void {
    this.room(2);
    this.at = this.buf.writeUInt16LE(n, this.at);
  }

  uint32(n: number): void {
    this.room(4);
    this.at = this.buf.writeUInt32LE(n, this.at);
  }

  /** A non-negative integer below 2^53 as UInt64 (or an Int64 of the same range). */
  uint64(n: number): void {
    this.room(8);
    const lo = n % 0x1_0000_0000;
    this.buf.writeUInt32LE(lo, this.at);
    this.buf.writeUInt32LE((n - lo) / 0x1_0000_0000, this.at + 4);
    this.at += 8;
  }

  /** Epoch milliseconds (may be negative) as Int64. */
  int64(n: number): void {
    this.room(8);
    const lo = ((n % 0x1_0000_0000) + 0x1_0000_0000) % 0x1_0000_0000;
    this.buf.writeUInt32LE(lo, this.at);
    this.buf.writeInt32LE((n - lo) / 0x1_0000_0000, this.at + 4);
    this.at += 8;
  }

  float64(n: number): void {
    this.room(8);
    this.at = this.buf.writeDoubleLE(n, this.at);
  }

  map(m: Record<string, string>): void {
    const keys = Object.keys(m);
    this.room(5);
    this.varint(keys.length);
    for (const k of keys) {
      this.string(k);
      this.string(m[k]);
    }
  }

  get length(): number {
    return this.at;
  }

  /** The bytes written so far (a view, valid until the next write). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.at);
  }
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** Milliseconds of a `YYYY-MM-DD HH:MM:SS[.fff]` UTC literal (what toChTime makes). */
export function chTimeMs(s: string): number {
  // Digits read by position: Date.parse of the ISO form costs several times more per row.
  const d = (at: number, n: number) => {
    let v = 0;
    for (let i = at; i < at + n; i++) {
      const c = s.charCodeAt(i) - 48;
      if (c < 0 || c > 9) return NaN;
      v = v * 10 + c;
    }
    return v;
  };
  const frac = s.length === 19 ? 0 : s.length === 23 && s[19] === '.' ? d(20, 3) : NaN;
  const ms = s[4] === '-' && s[7] === '-' && s[10] === ' ' && s[13] === ':' && s[16] === ':'
    ? Date.UTC(d(0, 4), d(5, 2) - 1, d(8, 2), d(11, 2), d(14, 2), d(17, 2), frac)
    : NaN;
  if (Number.isNaN(ms)) throw new Error(`not a DateTime64(3) literal: ${s}`);
  return ms;
}

/** Appends one `events` row in table column order. */
export function writeEventRow(w: RowBinaryWriter, r: EventRow): void {
  w.string(r.event_id);
  w.string(r.type);
  w.int64(chTimeMs(r.ts));
  w.int64(chTimeMs(r.received_at));
  w.string(r.tenant);
  w.string(r.integration);
  w.string(r.connection);
  w.string(r.flow);
  w.string(r.run);
  w.string(r.record_id);
  w.string(r.record_type);
  w.float64(r.record_value);
  w.uint8(r.has_value);
  w.string(r.currency);
  w.string(r.failure_category);
  w.string(r.failure_code);
  w.string(r.message);
  w.uint16(r.http_status);
  w.uint32(r.records_total);
  w.uint64(r.duration_ms);
  w.map(r.attributes);
  w.string(r.source);
  w.uint8(r.failure_retryable ?? 0);
}
