import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';

import { writeWhole } from '../files.js';
import type { RowCopy } from './driver.js';

/** What a staged insert needs of the engine: run one statement (with bound params). */
type Run = (sql: string, params?: Record<string, unknown>) => Promise<unknown>;

/**
 * The embedded engine's bulk insert (issue 15): the rows are written to a file and read
 * by the engine (`FROM INFILE`) into a per-session in-memory copy of the table, then moved
 * into the table with `INSERT … SELECT`. Measured (bench/RESULTS.md, "staged insert"):
 * - chDB's Node insert parses JSON on one path and hands the views blocks of ~20 k rows;
 *   reading the file and moving one squashed block feeds every materialised view once per
 *   flush, 1.6–2.4× the rows per second into `events` at 50–100 k rows a flush.
 * - A row the engine refuses (a value it cannot parse) fails the first step, before any
 *   view ran: the staging copy is emptied and nothing reached the table or its views, so
 *   the quarantine's split-and-retry never counts a row twice. (A file read straight into
 *   the table streams blocks through the views as they are parsed, so a refusal late in
 *   the file came after earlier blocks had reached some views: measured in session 6.)
 * - The move carries an `insert_deduplication_token` made from the payload's digest: the
 *   engine de-duplicates `INSERT … SELECT` only with a token, and a retried flush (after a
 *   crash between the table's insert and the ids' insert) must be dropped by the table and
 *   every view's target exactly as a re-sent block was before (migration 025).
 * - Rows derived from the inserted ones (ingest's ids) are copied from the staging copy
 *   right after the move, with no payload of their own; a failure in between leaves the
 *   copy to the retry, as a failure between two inserts would.
 * One staged insert per table at a time (the staging copy is shared by the session).
 */
export class StagedInserts {
  private readonly dir: string;
  private readonly staged = new Map<string, Promise<string>>();
  private readonly turns = new Map<string, Promise<unknown>>();
  private seq = 0;

  constructor(
    dataDir: string,
    private readonly run: Run,
  ) {
    this.dir = path.join(dataDir, 'syncwatch-inserts');
    // Files of a process that died mid-insert: their rows are still in its spool.
    rmSync(this.dir, { recursive: true, force: true });
    mkdirSync(this.dir, { recursive: true });
  }

  /** Inserts a JSONEachRow payload into `table`, then runs `copy` over its rows (see the class comment). */
  insert(table: string, payload: Buffer, copy?: RowCopy): Promise<void> {
    const turn = (this.turns.get(table) ?? Promise.resolve()).then(() => this.insertNow(table, payload, copy));
    this.turns.set(
      table,
      turn.catch(() => {}),
    );
    return turn;
  }

  /** Files left (tests: none after each insert). */
  leftovers(): string[] {
    return readdirSync(this.dir);
  }

  private async insertNow(table: string, payload: Buffer, copy?: RowCopy): Promise<void> {
    const staging = await this.stagingFor(table);
    const file = path.join(this.dir, `${table}-${process.pid}-${++this.seq}.jsonl`);
    const token = createHash('sha256').update(table).update('\0').update(payload).digest('hex');
    await writeWhole(file, payload);
    try {
      await this.run(`TRUNCATE TABLE ${staging}`);
      await this.run(`INSERT INTO ${staging} FROM INFILE ${quote(file)} FORMAT JSONEachRow`);
      // One thread reads the copy in insertion order, so a retry of the same payload makes
      // the same blocks and the token's per-block ids match.
      await this.run(`INSERT INTO ${table} SELECT * FROM ${staging} SETTINGS max_threads = 1, insert_deduplication_token = ${quote(token)}`);
      if (copy) await this.run(`INSERT INTO ${name(copy.into)} (${copy.columns.map(name).join(', ')}) SELECT ${copy.select} FROM ${staging}`, copy.params);
    } finally {
      await this.run(`TRUNCATE TABLE ${staging}`).catch(() => {});
      await rm(file, { force: true });
    }
  }

  /**
   * The session's staging copy of a table: a temporary (Memory) table with its columns,
   * made at the first insert (after the migrations), never written to disk.
   */
  private stagingFor(table: string): Promise<string> {
    let made = this.staged.get(table);
    if (!made) {
      const staging = `_staging_${name(table)}`;
      made = this.run(`CREATE TEMPORARY TABLE IF NOT EXISTS ${staging} AS ${table}`).then(() => staging);
      made.catch(() => this.staged.delete(table));
      this.staged.set(table, made);
    }
    return made;
  }
}

/** A table name checked to be a plain identifier (it is written into the statements). */
function name(table: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(table)) throw new Error(`not a table name: ${table}`);
  return table;
}

/** A ClickHouse string literal. */
const quote = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
