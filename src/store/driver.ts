import type { z } from 'zod';
import type { EventTouch, EventWriteLog } from './event-writes.js';

/** A named, parameterised query. Values are always bound server-side with `{name:Type}` placeholders. */
export interface Query<T> {
  /** Short name for logs and metrics, e.g. `records.lookup`. */
  name: string;
  sql: string;
  params?: Record<string, unknown>;
  /** Rows are checked (and camel-cased, if the schema does it) against this schema. */
  schema?: z.ZodType<T>;
}

/**
 * Serialised rows: one JSON object per element, or a JSONEachRow payload already in bytes
 * (one object per line, each ending in LF), which is sent as it is.
 */
export type JsonLines = readonly string[] | Buffer;

/** The JSONEachRow payload of serialised rows. */
export const jsonLinesPayload = (lines: JsonLines): Buffer => (Buffer.isBuffer(lines) ? lines : Buffer.from(lines.join('\n') + '\n'));

/** Rows derived from an insert's own rows (see Driver.insertJsonThenCopy); `select` may bind `{name:Type}` params. */
export interface RowCopy {
  into: string;
  /** The target's columns, in the order `select` gives them. */
  columns: readonly string[];
  select: string;
  params?: Record<string, unknown>;
}

/** The whole surface the rest of syncwatch sees of ClickHouse . */
export interface Driver {
  readonly kind: 'embedded' | 'remote';
  /** The cluster's name in cluster mode (CLICKHOUSE_CLUSTER): tables are `<name>_local` replicas behind Distributed `<name>`. */
  readonly cluster?: string;
  query<T = Record<string, unknown>>(q: Query<T>): Promise<T[]>;
  /** Inserts rows given as objects keyed by column name (JSONEachRow). */
  insert(table: string, rows: readonly object[]): Promise<void>;
  /** Inserts rows already serialised: JSON objects keyed by column name (JSONEachRow; see JsonLines). */
  insertJson(table: string, lines: JsonLines): Promise<void>;
  /**
   * Inserts rows already serialised (as insertJson), then derives rows from exactly those
   * rows into another table: `INSERT INTO <copy.into> SELECT <copy.select> FROM <the rows>`.
   * Embedded engine only: it reads them from its staging copy of the insert, so the derived
   * rows need no payload of their own (ingest records the ids of what it stored this way).
   * `touch`: what the rows write to the event history (eventWrites), when the caller
   * already knows it; otherwise it is read from the rows.
   */
  insertJsonThenCopy?(table: string, lines: JsonLines, copy: RowCopy, touch?: EventTouch): Promise<void>;
  /** Runs DDL or other statements that return nothing (values bound with `{name:Type}` as in queries). */
  command(sql: string, params?: Record<string, unknown>): Promise<void>;
  /**
   * A query's result as RowBinary bytes (embedded engine only): bulk results, such as the
   * de-duplication filter's bits, without a JSON text per row.
   */
  queryBytes?(name: string, sql: string, params?: Record<string, unknown>): Promise<Uint8Array>;
  /**
   * Every write to the event history, as it starts (embedded engine only: the process is
   * the store's one writer). Answers derived from the history may be kept while no write
   * reaches back into what they read.
   */
  readonly eventWrites?: EventWriteLog;
  /** Cheap liveness probe. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/** A query that failed in the store: never turned into an empty result . */
export class StoreError extends Error {
  constructor(
    readonly queryName: string,
    message: string,
    readonly cause?: unknown,
  ) {
    super(`${queryName}: ${message}`);
    this.name = 'StoreError';
  }
}

/** Parses JSONEachRow text and checks each row against the query's schema. */
export function parseRows<T>(q: Query<T>, text: string): T[] {
  const rows: T[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const raw: unknown = JSON.parse(line);
    if (!q.schema) {
      rows.push(raw as T);
      continue;
    }
    const parsed = q.schema.safeParse(raw);
    if (!parsed.success) throw new StoreError(q.name, `unexpected row shape: ${parsed.error.message}`);
    rows.push(parsed.data);
  }
  return rows;
}
