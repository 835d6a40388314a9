import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import {
  deleteEventRows,
  eventKey,
  findStoredEventKeys,
  insertEventJson,
  insertQuarantined,
  insertSpanJson,
  toChTime,
  type Driver,
  type QuarantinedRow,
  touchOfDays,
  type EventTouch,
  type StoredId,
} from '../store/index.js';
import { jsonPayload, rowText, type Batch, type SpooledRow } from './spool.js';
import { dedupFilter, type DedupFilter } from './dedup.js';

/**
 * Running counts a write adds to as it goes (so a write that fails half-way still
 * counts what it stored): rows stored, dropped as already stored (on a retry, this
 * includes rows an earlier attempt stored), and quarantined.
 */
export interface WriteCounts {
  storedEvents: number;
  storedSpans: number;
  duplicatesDropped: number;
  quarantinedRows: number;
}

/**
 * Most distinct days in one insert. The engine refuses an insert that touches more than
 * 100 partitions (`max_partitions_per_insert_block`); spans are partitioned by day and
 * events (and their rollups) by month or coarser, so 90 days is below it for every table.
 */
const MAX_DAYS_PER_INSERT = 90;

/**
 * ClickHouse error codes that mean "this data cannot be stored" rather than "the store
 * is unwell": parse and conversion failures, values out of a column's range, overflow in
 * a view's expression. A flush refused with one of these is split to find the rows.
 */
const REFUSAL_CODES = new Set([6, 26, 27, 38, 41, 43, 53, 69, 70, 72, 117, 131, 190, 321, 407, 691]);

/** The engine's error code in a store error, if it carries one. */
export function storeErrorCode(err: unknown): number | undefined {
  const cause = (err as { cause?: { code?: unknown } }).cause;
  if (cause && typeof cause.code === 'string' && /^\d+$/.test(cause.code)) return Number(cause.code);
  const m = /Code: (\d+)\./.exec((err as Error)?.message ?? '');
  return m ? Number(m[1]) : undefined;
}

/** True when the store refused the data itself (see REFUSAL_CODES). */
export const isRefusal = (err: unknown) => REFUSAL_CODES.has(storeErrorCode(err) ?? -1);

const DAY_KEYS = { '"ts":"': Buffer.from('"ts":"'), '"Timestamp":"': Buffer.from('"Timestamp":"') };

/** The day (`YYYY-MM-DD`) the row's time `key` starts with, or '' when the row has none. */
const dayOf = (r: SpooledRow, key: Buffer) => {
  const at = r.line.indexOf(key, r.start);
  return at < 0 || at >= r.end ? '' : r.line.toString('latin1', at + key.length, at + key.length + 10);
};

/** Rows for one insert, with each row's day (`YYYY-MM-DD`, '' when it has no time). */
export interface Chunk {
  rows: SpooledRow[];
  days: string[];
}

/** Splits rows so no insert spans more than MAX_DAYS_PER_INSERT days (and so partitions). */
export function partitionChunks(rows: SpooledRow[], key: '"ts":"' | '"Timestamp":"'): Chunk[] {
  const days = rows.map((r) => dayOf(r, DAY_KEYS[key]));
  if (new Set(days).size <= MAX_DAYS_PER_INSERT) return rows.length ? [{ rows, days }] : [];
  const order = rows.map((_, i) => i).sort((a, b) => (days[a] < days[b] ? -1 : days[a] > days[b] ? 1 : 0));
  const chunks: Chunk[] = [];
  let chunk: Chunk = { rows: [], days: [] };
  const seen = new Set<string>();
  for (const i of order) {
    if (!seen.has(days[i]) && seen.size === MAX_DAYS_PER_INSERT) {
      chunks.push(chunk);
      chunk = { rows: [], days: [] };
      seen.clear();
    }
    seen.add(days[i]);
    chunk.rows.push(rows[i]);
    chunk.days.push(days[i]);
  }
  chunks.push(chunk);
  return chunks;
}

interface Table {
  kind: 'event' | 'span';
  /** Inserts the rows and records their ids (store: insertRecordingIds). */
  insert: (driver: Driver, payload: Buffer, receivedAt: string, ids: () => StoredId[], touch?: EventTouch) => Promise<void>;
  dayKey: '"ts":"' | '"Timestamp":"';
}
const EVENTS: Table = { kind: 'event', insert: insertEventJson, dayKey: '"ts":"' };
const SPANS: Table = { kind: 'span', insert: insertSpanJson, dayKey: '"Timestamp":"' };

/**
 * Writes a batch to the store, idempotently and without letting one bad row hold up
 * the rest:
 * - rows already stored (by id) are dropped, within the batch and against `event_ids`;
 * - each table's rows are inserted, in chunks the engine's partition limit allows, and
 *   their ids recorded right after, so a retry after a later table refused does not
 *   insert them again (a crash in between is absorbed by the tables' insert
 *   deduplication: the retry sends the same block);
 * - a chunk the store refuses as data (or, with `suspect`, for any reason while other
 *   rows of it go in) is split in halves until the refused rows are found; they go to
 *   the quarantine with the engine's reason, everything else is stored.
 * Throws (rows stay in the spool, to be retried) when the store is unavailable.
 */
export async function writeBatch(driver: Driver, batch: Batch, log: Logger, counts: WriteCounts, now: number, suspect = false): Promise<void> {
  const receivedAt = toChTime(now);
  const all = batch.events.length === 0 ? batch.spans : batch.spans.length === 0 ? batch.events : [...batch.events, ...batch.spans];
  const filter = await dedupFilter(driver, log);
  // Each row's key, made once: the filter, the look-up and the in-batch check all use it.
  const keys = all.map((r) => (r.lookup ? eventKey(r.tenant, r.eventId) : null));
  const stored = await storedKeys(driver, filter, all, keys);
  const seen = new Set<string>();
  const fresh = (key: string | null) => {
    if (key === null) return true;
    if (stored.has(key) || seen.has(key)) return false;
    seen.add(key);
    return true;
  };
  // `all` is the events, then the spans.
  const events = batch.events.filter((_, i) => fresh(keys[i]));
  const spans = batch.spans.filter((_, i) => fresh(keys[batch.events.length + i]));
  counts.duplicatesDropped += all.length - events.length - spans.length;
  for (const [table, rows] of [[EVENTS, events], [SPANS, spans]] as const) {
    for (const { rows: chunk, days } of partitionChunks(rows, table.dayKey)) {
      // The history this writes, from the keys and days at hand (the store need not read it from the rows).
      const touch = table === EVENTS ? touchOfDays(chunk.map((r) => r.tenant), days) : undefined;
      const found = await insertFinding(driver, table, chunk, suspect, receivedAt, filter, touch);
      const { refused } = suspect ? await confirmRefusals(driver, table, found.refused, receivedAt, filter) : found;
      const n = chunk.length - refused.length;
      if (table === EVENTS) counts.storedEvents += n;
      else counts.storedSpans += n;
      if (refused.length > 0) {
        if (n === 0 && !isRefusal(refused[0].err)) throw refused[0].err;
        await quarantine(driver, table, refused, log, now);
        counts.quarantinedRows += refused.length;
      }
    }
  }
}

/**
 * Keys of these rows already stored. With the filter (dedup.ts) only keys it may hold and
 * that are not recently stored are looked up — none for a batch of new ids; without it
 * (a server: other writers), every key is.
 */
async function storedKeys(driver: Driver, filter: DedupFilter | null, rows: SpooledRow[], keys: (string | null)[]): Promise<Set<string>> {
  const stored = new Set<string>();
  const lookUp: { tenant: string; event_id: string }[] = [];
  for (const [i, r] of rows.entries()) {
    const key = keys[i];
    if (key === null) continue;
    if (filter) {
      // Bloom first: a new id (most) is settled there; a recent one is held by both.
      if (!filter.mayContain(key)) continue;
      if (filter.isRecent(key)) {
        stored.add(key);
        continue;
      }
    }
    lookUp.push({ tenant: r.tenant, event_id: r.eventId });
  }
  if (lookUp.length > 0) for (const key of await findStoredEventKeys(driver, lookUp)) stored.add(key);
  return stored;
}

interface Refused {
  row: SpooledRow;
  err: unknown;
}

/**
 * A suspected row refused for an unrecognised reason is tried once more on its own
 * before it is quarantined: a store failing now and then must not send good rows there.
 */
async function confirmRefusals(driver: Driver, table: Table, refused: Refused[], receivedAt: string, filter: DedupFilter | null): Promise<{ refused: Refused[] }> {
  const still: Refused[] = [];
  for (const r of refused) {
    if (isRefusal(r.err)) {
      still.push(r);
      continue;
    }
    const again = await insertFinding(driver, table, [r.row], true, receivedAt, filter);
    still.push(...again.refused);
  }
  return { refused: still };
}

/** Inserts rows and records their ids; on a refusal, splits to find the refused rows. */
async function insertFinding(
  driver: Driver,
  table: Table,
  rows: SpooledRow[],
  suspect: boolean,
  receivedAt: string,
  filter: DedupFilter | null,
  /** What the rows write to the event history (covers any part of them); undefined: the store reads it. */
  touch?: EventTouch,
): Promise<{ stored: number; refused: Refused[] }> {
  try {
    await table.insert(driver, jsonPayload(rows), receivedAt, () => rows.map((r) => ({ event_id: r.eventId, tenant: r.tenant, received_at: receivedAt })), touch);
  } catch (err) {
    if (!isRefusal(err) && !suspect) throw err;
    if (rows.length === 1) return { stored: 0, refused: [{ row: rows[0], err }] };
    const mid = rows.length >> 1;
    const a = await insertFinding(driver, table, rows.slice(0, mid), suspect, receivedAt, filter, touch);
    const b = await insertFinding(driver, table, rows.slice(mid), suspect, receivedAt, filter, touch);
    return { stored: a.stored + b.stored, refused: [...a.refused, ...b.refused] };
  }
  filter?.add(rows.map((r) => eventKey(r.tenant, r.eventId)));
  return { stored: rows.length, refused: [] };
}

/**
 * Moves refused rows to the quarantine. An `events` row refused by one of its views may
 * already sit in `events` itself (a view's failure does not undo the table's insert), so
 * it is deleted there: a quarantined row counts nowhere until it is replayed.
 */
async function quarantine(driver: Driver, table: Table, refused: Refused[], log: Logger, at: number): Promise<void> {
  const now = new Date(at).toISOString();
  const rows: QuarantinedRow[] = refused.map(({ row, err }) => ({
    id: randomUUID(),
    quarantinedAt: now,
    kind: table.kind,
    tenant: row.tenant,
    eventId: row.eventId,
    reason: String((err as Error)?.message ?? err).slice(0, 2000),
    row: rowText(row),
    state: 'quarantined',
    updatedAt: now,
  }));
  await insertQuarantined(driver, rows);
  if (table === EVENTS) await deleteEventRows(driver, refused.map(({ row }) => ({ tenant: row.tenant, event_id: row.eventId })));
  for (const r of rows) log.warn({ tenant: r.tenant, eventId: r.eventId, kind: r.kind, quarantineId: r.id, reason: r.reason.slice(0, 300) }, 'the store refused a row; quarantined');
}
