import { z } from 'zod';
import type { Driver, JsonLines } from './driver.js';
import type { EventTouch } from './event-writes.js';

/** One row of the `events` table, keyed by column name (what ingest inserts). */
export interface EventRow {
  event_id: string;
  type: string;
  ts: string;
  received_at: string;
  tenant: string;
  integration: string;
  connection: string;
  flow: string;
  run: string;
  record_id: string;
  record_type: string;
  record_value: number;
  has_value: 0 | 1;
  currency: string;
  failure_category: string;
  failure_code: string;
  /** 1 when the classification says waiting and retrying can help (absent: 0). */
  failure_retryable?: 0 | 1;
  message: string;
  http_status: number;
  records_total: number;
  duration_ms: number;
  attributes: Record<string, string>;
  source: 'event' | 'span' | 'log';
}

/** Inserts event rows (the materialised views feed the derived tables from this insert). */
export async function insertEvents(driver: Driver, rows: readonly EventRow[]): Promise<void> {
  await driver.insert('events', rows);
}

/** A stored row's de-duplication id (a row of `event_ids`). */
export interface StoredId {
  event_id: string;
  tenant: string;
  received_at: string;
}

/** Records ids as stored, so re-sends of the same (tenant, id) are recognised and dropped. */
export async function insertEventIds(driver: Driver, rows: readonly StoredId[]): Promise<void> {
  await driver.insert('event_ids', rows);
}

/**
 * Inserts rows already serialised as JSON objects (the ingest spool keeps them that way)
 * into `table`, then records their ids, received at `receivedAt`, so a re-send is dropped.
 * The embedded engine derives the ids from the rows it has just taken (`idColumns`: the
 * id and the tenant as SQL over the table's columns), with no payload of their own;
 * elsewhere the rows `ids()` gives are inserted.
 */
export async function insertRecordingIds(driver: Driver, table: string, lines: JsonLines, idColumns: string, receivedAt: string, ids: () => StoredId[], touch?: EventTouch): Promise<void> {
  if (driver.insertJsonThenCopy) {
    const select = `${idColumns}, toDateTime64({received_at:String}, 3, 'UTC')`;
    await driver.insertJsonThenCopy(table, lines, { into: 'event_ids', columns: ['event_id', 'tenant', 'received_at'], select, params: { received_at: receivedAt } }, touch);
    return;
  }
  await driver.insertJson(table, lines);
  await insertEventIds(driver, ids());
}

/** Inserts serialised event rows and records their ids (see insertRecordingIds; `touch` as Driver.insertJsonThenCopy). */
export async function insertEventJson(driver: Driver, lines: JsonLines, receivedAt: string, ids: () => StoredId[], touch?: EventTouch): Promise<void> {
  await insertRecordingIds(driver, 'events', lines, 'event_id, tenant', receivedAt, ids, touch);
}

/**
 * Deletes event rows by (tenant, id): the footprint of a row the store refused part-way
 * (a view failed after the table took it), before it goes to the quarantine.
 */
export async function deleteEventRows(driver: Driver, rows: readonly { tenant: string; event_id: string }[]): Promise<void> {
  for (const tenant of new Set(rows.map((r) => r.tenant))) {
    const ids = rows.filter((r) => r.tenant === tenant).map((r) => r.event_id);
    // A Distributed table takes no DELETE: on a cluster the rows go from every shard's local table.
    const from = driver.cluster ? `events_local ON CLUSTER ${driver.cluster}` : 'events';
    await driver.command(`DELETE FROM ${from} WHERE tenant = {tenant:String} AND event_id IN {ids:Array(String)}`, { tenant, ids });
  }
}

const idRow = z.object({ event_id: z.string(), tenant: z.string() });

/** Dedup key of an event: ids are unique per tenant, not globally. */
export const eventKey = (tenant: string, eventId: string) => `${tenant}\u0000${eventId}`;

/**
 * Most ids, and id characters, per look-up. A remote server gets the bound parameter in
 * the URL (1 MiB by default), so the characters bound the query; fewer, larger look-ups
 * cost less (80k ids take ~550 ms in chunks of 5k and ~320 ms in chunks of 10–20k).
 */
const LOOKUP_IDS = 20_000;
const LOOKUP_CHARS = 256 * 1024;

function* chunkIds(ids: Iterable<string>): Generator<string[]> {
  let chunk: string[] = [];
  let chars = 0;
  for (const id of ids) {
    if (chunk.length === LOOKUP_IDS || (chunk.length > 0 && chars + id.length > LOOKUP_CHARS)) {
      yield chunk;
      chunk = [];
      chars = 0;
    }
    chunk.push(id);
    chars += id.length;
  }
  if (chunk.length > 0) yield chunk;
}

/** Which of these (tenant, id) pairs are already stored. */
export async function findStoredEventKeys(driver: Driver, rows: readonly { tenant: string; event_id: string }[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (const ids of chunkIds(new Set(rows.map((r) => r.event_id)))) {
    const stored = await driver.query({
      name: 'event_ids.find',
      // `IN (SELECT arrayJoin(...))` builds a set once and uses the primary key; a literal
      // `IN {ids:Array(String)}` was measured ~75x slower in chDB at 40k stored ids.
      sql: 'SELECT event_id, tenant FROM event_ids WHERE event_id IN (SELECT arrayJoin({ids:Array(String)}))',
      params: { ids },
      schema: idRow,
    });
    for (const r of stored) found.add(eventKey(r.tenant, r.event_id));
  }
  return found;
}

/**
 * The de-duplication filter's bits for every (tenant, id) in `event_ids`, set by the
 * engine: key = tenant NUL id, positions (CRC32 + i·(murmurHash3_32 | 1)) mod `bits`,
 * i < `hashes` — the arithmetic ingest repeats in JS for new keys. Returns the bit
 * array as 32-bit words (only set words travel: word index and mask, RowBinary).
 */
export async function storedKeyBits(driver: Driver, bits: number, hashes: number): Promise<Uint32Array> {
  const words = new Uint32Array(bits / 32);
  if (!driver.queryBytes) throw new Error('storedKeyBits needs the embedded engine');
  const bytes = await driver.queryBytes(
    'event_ids.bits',
    `SELECT toUInt32(intDiv(p, 32)) AS w, groupBitOr(toUInt32(bitShiftLeft(toUInt64(1), p % 32))) AS mask
     FROM (
       SELECT arrayJoin(arrayMap(i -> (a + i * b) % {bits:UInt64}, range({hashes:UInt8}))) AS p
       FROM (SELECT toUInt64(CRC32(k)) AS a, toUInt64(bitOr(murmurHash3_32(k), 1)) AS b
             FROM (SELECT concat(tenant, '\\0', event_id) AS k FROM event_ids))
     )
     GROUP BY w`,
    { bits, hashes },
  );
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = 0; at + 8 <= bytes.byteLength; at += 8) words[view.getUint32(at, true)] |= view.getUint32(at + 4, true);
  return words;
}
