import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Session, drainPending } from 'chdb';
import { jsonLinesPayload, parseRows, StoreError, type Driver, type JsonLines, type Query, type RowCopy } from './driver.js';
import { EventWrites, touchOfPayload, touchOfRows, touchOfStatement, type EventTouch, type EventWriteLog } from './event-writes.js';
import { StagedInserts } from './staged-insert.js';

/**
 * ClickHouse in-process through chDB. Only the async calls are used: the sync ones
 * block the event loop for the whole query. chDB allows one data directory per process.
 */
export class EmbeddedDriver implements Driver {
  readonly kind = 'embedded' as const;
  private readonly session: Session;
  private closed = false;
  private settings: Promise<void> | null = null;
  private readonly staged: StagedInserts;
  private readonly writes = new EventWrites();
  /** This process is the store's only writer: every write to the event history is in this log. */
  readonly eventWrites: EventWriteLog = this.writes;

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    // Checked first: chDB itself would print a raw engine error before failing.
    const holder = lockHolder(dataDir);
    if (holder !== null) throw new StoreBusyError(dataDir, holder);
    try {
      this.session = new Session(dataDir);
    } catch (err) {
      throw lockHolder(dataDir) !== null ? new StoreBusyError(dataDir, lockHolder(dataDir)!) : err;
    }
    this.staged = new StagedInserts(dataDir, (sql, params) => (params ? this.session.queryBindAsync(sql, params) : this.session.queryAsync(sql)));
  }

  /**
   * Session settings, once, before the first statement. ClickHouse JIT-compiles an
   * expression on its 4th use, a one-off 80–300 ms pause per query shape inside some
   * user's request; measured at 10M events it gave no steady-state gain (bench/RESULTS.md).
   * Inserts are synchronous and idempotent under retry: a block a table (or a view's
   * target) has already taken is dropped, given the deduplication windows of migration 025.
   */
  private ready(): Promise<void> {
    return (this.settings ??= (async () => {
      for (const name of ['compile_expressions', 'compile_aggregate_expressions', 'compile_sort_description', 'async_insert']) {
        await this.session.queryAsync(`SET ${name} = 0`);
      }
      for (const name of ['insert_deduplicate', 'deduplicate_blocks_in_dependent_materialized_views']) {
        await this.session.queryAsync(`SET ${name} = 1`);
      }
    })());
  }

  async query<T>(q: Query<T>): Promise<T[]> {
    let text: string;
    try {
      await this.ready();
      const result = q.params
        ? await this.session.queryBindAsync(q.sql, q.params, { format: 'JSONEachRow' })
        : await this.session.queryAsync(q.sql, { format: 'JSONEachRow' });
      text = result.text();
    } catch (err) {
      throw new StoreError(q.name, (err as Error).message, err);
    }
    return parseRows(q, text);
  }

  async queryBytes(name: string, sql: string, params?: Record<string, unknown>): Promise<Uint8Array> {
    try {
      await this.ready();
      const result = params
        ? await this.session.queryBindAsync(sql, params, { format: 'RowBinary' })
        : await this.session.queryAsync(sql, { format: 'RowBinary' });
      return result.bytes();
    } catch (err) {
      throw new StoreError(name, (err as Error).message, err);
    }
  }

  /** Small inserts (state, outbox, ids): chDB's Node insert, one JSONEachRow buffer. */
  async insert(table: string, rows: readonly object[]): Promise<void> {
    if (rows.length === 0) return;
    // One JSONEachRow buffer: the engine's parser does the work, and JS builds no per-row objects.
    const payload = Buffer.from(rows.map((row) => JSON.stringify(row)).join('\n') + '\n');
    try {
      await this.ready();
      const insert = () => this.session.insert({ table, values: payload, format: 'JSONEachRow' });
      await (table === 'events' ? this.writes.run(touchOfRows(rows), insert) : insert());
    } catch (err) {
      throw new StoreError(`insert ${table}`, (err as Error).message, err);
    }
  }

  /** The ingest's bulk inserts (events, spans): staged through a file (staged-insert.ts). */
  async insertJson(table: string, lines: JsonLines): Promise<void> {
    await this.insertJsonThenCopy(table, lines);
  }

  /** insertJson, then `copy` from the staging copy of the same rows (see Driver.insertJsonThenCopy). */
  async insertJsonThenCopy(table: string, lines: JsonLines, copy?: RowCopy, touch?: EventTouch): Promise<void> {
    if (lines.length === 0) return;
    const payload = jsonLinesPayload(lines);
    try {
      await this.ready();
      const insert = () => this.staged.insert(table, payload, copy);
      if (table !== 'events') await insert();
      else await this.writes.run(touch ?? touchOfPayload(payload), insert);
    } catch (err) {
      throw new StoreError(`insert ${table}`, (err as Error).message, err);
    }
  }

  async command(sql: string, params?: Record<string, unknown>): Promise<void> {
    try {
      await this.ready();
      const run = () => (params ? this.session.queryBindAsync(sql, params) : this.session.queryAsync(sql));
      const touch = touchOfStatement(sql);
      await (touch ? this.writes.run(touch, run) : run());
    } catch (err) {
      throw new StoreError('command', (err as Error).message, err);
    }
  }

  async ping(): Promise<boolean> {
    return !this.closed;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.session.close();
    // close() returns before the connection is gone while an operation still runs on it;
    // wait, so a new session (another data directory, or a restart) can open at once.
    await drainPending();
  }
}

/** The embedded store's directory is open in another process (chDB allows one per directory). */
export class StoreBusyError extends Error {
  readonly code = 'store_busy';
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(`the embedded store in ${dataDir} is open in another process (pid ${pid}, e.g. a running \`syncwatch serve\`); one process per data directory`);
    this.name = 'StoreBusyError';
  }
}

/**
 * The pid of another live process holding the store: ClickHouse writes its pid to
 * `status` (and locks it) while the directory is open. A stale file of a dead process,
 * or a pid now used by something that is not Node, does not count.
 */
function lockHolder(dataDir: string): number | null {
  let text: string;
  try {
    text = readFileSync(path.join(dataDir, 'status'), 'utf8');
  } catch {
    return null;
  }
  const pid = Number(/^PID: (\d+)/m.exec(text)?.[1]);
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return null;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return null;
  }
  try {
    return /node/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8')) ? pid : null;
  } catch {
    return pid; // no /proc: trust the live pid
  }
}

