import type { Migration } from './migration.js';

/** Where a cluster-mode store lives: the cluster name of `remote_servers` and the database. */
export interface ClusterTarget {
  cluster: string;
  database: string;
}

/**
 * Sharding key of a table that has no `tenant` column: its first ORDER BY column, so
 * every version of one key lands on one shard (ReplacingMergeTree replaces within a
 * shard only). Overrides: spans are kept together by trace; a staged batch stays on one
 * shard, so its insert is all-or-nothing.
 */
const SHARD_OVERRIDES: Record<string, string> = { otel_traces: 'cityHash64(TraceId)', ingest_staging: 'cityHash64(batch_id)' };

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const CREATE_TABLE = /^CREATE TABLE IF NOT EXISTS (\w+) \(([\s\S]*)\) ENGINE = (\w+)(\([^)]*\))?([\s\S]*)$/;
const CREATE_MV = /^CREATE MATERIALIZED VIEW IF NOT EXISTS (\w+) TO (\w+) AS\n([\s\S]*)$/;
const CREATE_VIEW = /^CREATE VIEW IF NOT EXISTS (\w+) AS\n([\s\S]*)$/;
const ALTER = /^ALTER TABLE (\w+)(\s+)([\s\S]*)$/;
const DROP = /^DROP (VIEW|TABLE) IF EXISTS (\w+)$/;

/**
 * Rewrites the single-server migrations for a self-managed ClickHouse cluster:
 * - every MergeTree-family table `t` becomes `t_local` on every host, on the Replicated
 *   variant of its engine (Keeper path per shard and table, replica from the `{replica}`
 *   macro), plus a Distributed table `t` over it, sharded by tenant. The application
 *   keeps reading and writing `t`;
 * - materialised views are created on every host and read `events_local`, writing to
 *   the local rollup: each shard aggregates the events it stores, and because every
 *   tenant-bearing table is sharded by the same `cityHash64(tenant)`, a tenant's events,
 *   rollups and de-duplication index sit on one shard. Reads through the Distributed
 *   tables GROUP BY their keys, so partial aggregates of several shards would merge
 *   exactly too;
 * - plain (non-materialised) views over `events` are created on every host and read the
 *   Distributed `events`, so a read through one sees every shard;
 * - ALTERs go to the local tables (and column changes also to the Distributed table);
 *   `non_replicated_deduplication_window` becomes `replicated_deduplication_window`;
 * - KeeperMap tables (cluster-only migrations) are created on every host over one Keeper
 *   path per database, so every host sees the same rows;
 * - a retired view or table is dropped on every host (`DROP … IF EXISTS` only): a table
 *   as both its Distributed table and its `_local` one;
 * - backfill INSERT … SELECT statements are kept: they read and write the Distributed
 *   tables, and run once, from the host that migrates.
 * A statement of any other shape is refused, so a new migration cannot silently produce
 * wrong cluster DDL (the golden-file test regenerates all of it).
 */
export function clusterStatements(statement: string, target: ClusterTarget): string[] {
  if (!IDENT.test(target.cluster) || !IDENT.test(target.database)) throw new Error('cluster and database names must be identifiers');
  const on = `ON CLUSTER ${target.cluster}`;
  const table = CREATE_TABLE.exec(statement);
  if (table) return createTable(table, target, on);
  const mv = CREATE_MV.exec(statement);
  if (mv) {
    const [, name, to, body] = mv;
    if (/\bJOIN\b/i.test(body) || !/\bFROM events\b/.test(body)) throw new Error(`${name}: a cluster-mode view must read events alone`);
    return [`CREATE MATERIALIZED VIEW IF NOT EXISTS ${name} ${on} TO ${to}_local AS\n${body.replace(/\bFROM events\b/g, 'FROM events_local')}`];
  }
  const view = CREATE_VIEW.exec(statement);
  if (view) {
    const [, name, body] = view;
    if (/\bJOIN\b/i.test(body) || !/\bFROM events\b/.test(body)) throw new Error(`${name}: a cluster-mode view must read events alone`);
    return [`CREATE VIEW IF NOT EXISTS ${name} ${on} AS\n${body}`];
  }
  if (/^INSERT INTO \w+\s+SELECT\b/.test(statement)) return [statement];
  const alter = ALTER.exec(statement);
  if (alter) return alterTable(alter[1], alter[3], on);
  const drop = DROP.exec(statement);
  if (drop) {
    const [, kind, name] = drop;
    if (kind === 'VIEW') return [`DROP VIEW IF EXISTS ${name} ${on} SYNC`];
    return [`DROP TABLE IF EXISTS ${name} ${on} SYNC`, `DROP TABLE IF EXISTS ${name}_local ${on} SYNC`];
  }
  throw new Error(`no cluster-mode form for this statement: ${statement.slice(0, 80)}`);
}

function createTable(m: RegExpExecArray, target: ClusterTarget, on: string): string[] {
  const [, name, columns, engine, args = '', rest] = m;
  if (engine === 'KeeperMap') {
    const path = `/syncwatch/${target.database}/${name}`;
    return [`CREATE TABLE IF NOT EXISTS ${name} ${on} (${columns}) ENGINE = KeeperMap('${path}')${rest}`];
  }
  if (!/MergeTree$/.test(engine)) throw new Error(`${name}: no cluster-mode form for engine ${engine}`);
  const local = `${name}_local`;
  const inner = args.replace(/^\(|\)$/g, '').trim();
  const replicated = `Replicated${engine}('/clickhouse/tables/{shard}/${target.database}/${local}', '{replica}'${inner ? `, ${inner}` : ''})`;
  const key = SHARD_OVERRIDES[name] ?? (/^\s*tenant\s/m.test(columns) ? 'cityHash64(tenant)' : `cityHash64(${firstOrderColumn(name, rest)})`);
  return [
    `CREATE TABLE IF NOT EXISTS ${local} ${on} (${columns}) ENGINE = ${replicated}${rest}`,
    `CREATE TABLE IF NOT EXISTS ${name} ${on} AS ${local}\nENGINE = Distributed(${target.cluster}, ${target.database}, ${local}, ${key})`,
  ];
}

function firstOrderColumn(name: string, rest: string): string {
  const m = /ORDER BY \(?\s*(\w+)/.exec(rest);
  if (!m) throw new Error(`${name}: no ORDER BY to shard by`);
  return m[1];
}

function alterTable(name: string, command: string, on: string): string[] {
  const local = `ALTER TABLE ${name}_local ${on}`;
  const setting = /^MODIFY SETTING non_replicated_deduplication_window = (\d+)$/.exec(command);
  if (setting) return [`${local} MODIFY SETTING replicated_deduplication_window = ${setting[1]}`];
  if (/^MATERIALIZE COLUMN \w+$/.test(command)) return [`${local} ${command}`];
  // The Distributed table needs the column too, with the same definition, to read it.
  if (/^ADD COLUMN IF NOT EXISTS\b/.test(command)) return [`${local} ${command}`, `ALTER TABLE ${name} ${on} ${command}`];
  throw new Error(`${name}: no cluster-mode form for ALTER ${command.slice(0, 60)}`);
}

/** The cluster-mode form of every migration (same versions and names, rewritten statements). */
export function clusterMigrations(migrations: Migration[], target: ClusterTarget): Migration[] {
  return migrations.map((m) => ({ ...m, statements: m.statements.flatMap((s) => clusterStatements(s, target)) }));
}
