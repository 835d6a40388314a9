import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Session, drainPending } from 'chdb';
import { parseRows, StoreError, type Driver, type Query } from './driver.js';

/**
 * ClickHouse in-process through chDB. Only the async calls are used: the sync ones
 * block the event loop for the whole query. chDB allows one data directory per process.
 */
export class EmbeddedDriver implements Driver {
  readonly kind = 'embedded' as const;
  private readonly session: Session;
  private closed = false;
  private settings: Promise<void> | null = null;
  /** Where insert payloads wait, as files, for the engine's file() to read them. */
  private readonly payloadDir: string;

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    this.payloadDir = path.join(dataDir, 'insert-payloads');
    // Checked first: chDB itself would print a raw engine error before failing.
    const holder = lockHolder(dataDir);
    if (holder !== null) throw new StoreBusyError(dataDir, holder);
    try {
      this.session = new Session(dataDir);
    } catch (err) {
      throw lockHolder(dataDir) !== null ? new StoreBusyError(dataDir, lockHolder(dataDir)!) : err;
    }
    // Payloads of inserts cut short by a crash: this process now holds the directory alone.
    rmSync(this.payloadDir, { recursive: true, force: true });
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

  async insert(table: string, rows: readonly object[]): Promise<void> {
    await this.insertJson(table, rows.map((row) => JSON.stringify(row)));
  }

  async insertJson(table: string, lines: readonly string[]): Promise<void> {
    if (lines.length === 0) return;
    // One JSONEachRow buffer: the engine's parser does the work, and JS builds no per-row objects.
    const payload = Buffer.from(lines.join('\n') + '\n');
    try {
      await this.ready();
      if (FILE_INSERT_TABLES.has(table)) await this.insertFile(table, payload, 'JSONEachRow');
      else await this.session.insert({ table, values: payload, format: 'JSONEachRow' });
    } catch (err) {
      throw new StoreError(`insert ${table}`, (err as Error).message, err);
    }
  }

  /**
   * Inserts a payload through `INSERT … SELECT FROM file()`: measured 1.2–1.5× faster in
   * chDB than its Node insert of the same JSONEachRow bytes into `events` with all views
   * (bench/insert-formats.ts), and the only way a binary format reaches the engine.
   * An INSERT … SELECT is not de-duplicated by block contents, so the payload's SHA-256
   * is the de-duplication token: a retried or replayed insert of the same bytes is
   * dropped by the table and its views, as a plain insert's block hash would be.
   */
  private async insertFile(table: string, payload: Buffer, format: 'JSONEachRow'): Promise<void> {
    const token = createHash('sha256').update(payload).digest('hex');
    mkdirSync(this.payloadDir, { recursive: true });
    const file = path.join(this.payloadDir, `${randomUUID()}.${format}`);
    await writeFile(file, payload);
    try {
      // The insertion table's columns are the file's structure (no inference from the data).
      await this.session.queryAsync(
        `INSERT INTO ${table} SELECT * FROM file(${quoteString(file)}, '${format}')
         SETTINGS use_structure_from_insertion_table_in_table_functions = 1, insert_deduplication_token = '${token}'`,
      );
    } finally {
      await unlink(file);
    }
  }

  async command(sql: string, params?: Record<string, unknown>): Promise<void> {
    try {
      await this.ready();
      if (params) await this.session.queryBindAsync(sql, params);
      else await this.session.queryAsync(sql);
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

/**
 * Tables inserted through file(): rows carry every column (an omitted one would get its
 * type's default, not the table's DEFAULT expression) and no view reads them. `events`
 * and `otel_traces` keep the Node insert: through file() a row the Node insert refuses
 * while parsing (quarantine.test.ts's poison rows) reached the views before the insert
 * failed, so rows were counted twice after the split retry (docs/decisions.md).
 */
const FILE_INSERT_TABLES: ReadonlySet<string> = new Set(['event_ids']);

/** A string literal for SQL text (the data directory's path may hold any character). */
function quoteString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
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

