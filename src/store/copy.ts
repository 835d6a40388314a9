import { z } from 'zod';
import type { Driver } from './driver.js';
import { readMigrations } from './migrate.js';

/**
 * Tables not copied: the migrations' ledger (the target is migrated on its own), the
 * alerting lease (a lease belongs to one deployment), and rows in flight between API
 * processes and the worker (a single embedded process never stages).
 */
const NOT_COPIED = new Set(['schema_migrations', 'alert_lease', 'ingest_staging', 'ingest_staging_done']);

/**
 * The tables a copy moves: every table the migrations create except those filled by a
 * materialised view from events — the target's own views rebuild them from the copied
 * events, exactly as they were built on the source.
 */
export function copiedTables(): string[] {
  const statements = readMigrations().flatMap((m) => m.statements);
  const viewTargets = new Set(statements.map((s) => /^CREATE MATERIALIZED VIEW IF NOT EXISTS \w+ TO (\w+)/.exec(s)?.[1]).filter(Boolean));
  return statements
    .map((s) => /^CREATE TABLE IF NOT EXISTS (\w+)/.exec(s)?.[1])
    .filter((t): t is string => t !== undefined && !viewTargets.has(t) && !NOT_COPIED.has(t));
}

/** Where the rows go: the target's HTTP interface (the same server openStore migrated). */
export interface CopyTarget {
  url: string;
  database: string;
  user?: string;
  password?: string;
}

export interface CopyProgress {
  table: string;
  copiedRows: number;
  totalRows: number;
}

const column = z.object({ name: z.string(), type: z.string() });
const partition = z.object({ partition: z.string(), n: z.coerce.number() });
const engineRow = z.object({ engine: z.string() });

/** The target's insert endpoint for a table, credentials as HTTP parameters (the interface accepts them there). */
function insertUrl(target: CopyTarget, table: string): string {
  const u = new URL(target.url);
  u.searchParams.set('database', target.database);
  u.searchParams.set('query', `INSERT INTO ${table} FORMAT JSONEachRow`);
  if (target.user) u.searchParams.set('user', target.user);
  if (target.password) u.searchParams.set('password', target.password);
  return u.toString();
}

/**
 * Copies the embedded store into a remote one, table by table and partition by
 * partition. The engine streams the rows itself (`INSERT INTO FUNCTION url(…)` over the
 * target's HTTP interface), so nothing is held in this process. Replacing tables are read
 * with FINAL: a row the source kept twice until a merge is copied once. The target must
 * be migrated and hold no events (a second copy would count everything twice): callers
 * check `targetIsEmpty` first.
 */
export async function copyStore(source: Driver, target: CopyTarget, onProgress: (p: CopyProgress) => void = () => {}): Promise<Record<string, number>> {
  const copied: Record<string, number> = {};
  const tables = copiedTables();
  const plans = [];
  for (const table of tables) {
    const [{ engine }] = await source.query({ name: 'copy.engine', sql: 'SELECT engine FROM system.tables WHERE database = currentDatabase() AND name = {table:String}', params: { table }, schema: engineRow });
    const final = engine.startsWith('Replacing') ? 'FINAL' : '';
    const parts = await source.query({
      name: 'copy.partitions',
      sql: `SELECT _partition_id AS partition, count() AS n FROM ${table} ${final} GROUP BY partition ORDER BY partition`,
      schema: partition,
    });
    plans.push({ table, final, parts });
  }
  const totalRows = plans.reduce((n, p) => n + p.parts.reduce((m, x) => m + x.n, 0), 0);
  let copiedRows = 0;
  for (const { table, final, parts } of plans) {
    const columns = await source.query({
      name: 'copy.columns',
      sql: `SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = {table:String} AND default_kind NOT IN ('MATERIALIZED', 'ALIAS') ORDER BY position`,
      params: { table },
      schema: column,
    });
    const names = columns.map((c) => `\`${c.name}\``).join(', ');
    const structure = columns.map((c) => `\`${c.name}\` ${c.type}`).join(', ');
    copied[table] = 0;
    for (const p of parts) {
      await source.command(
        `INSERT INTO FUNCTION url({url:String}, 'JSONEachRow', {structure:String}) SELECT ${names} FROM ${table} ${final} WHERE _partition_id = {partition:String}`,
        { url: insertUrl(target, table), structure, partition: p.partition },
      );
      copied[table] += p.n;
      copiedRows += p.n;
      onProgress({ table, copiedRows, totalRows });
    }
  }
  return copied;
}

/** True when the target holds no events yet (the only safe state to copy into). */
export async function targetIsEmpty(target: Driver): Promise<boolean> {
  const [row] = await target.query({ name: 'copy.target_events', sql: 'SELECT count() AS n FROM events', schema: z.object({ n: z.coerce.number() }) });
  return row.n === 0;
}
