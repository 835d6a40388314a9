import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { z } from 'zod';
import { ConfigError, loadConfig } from '../../src/config.js';
import { clusterStatements, EmbeddedDriver, ledgerStatements, migrationsFor, readMigrations, type ClusterTarget } from '../../src/store/index.js';

// chDB cannot run a cluster (no Keeper, no remote_servers), so the cluster-mode DDL is
// checked two ways: the engine's own parser accepts every statement (formatQuery parses
// it and prints it back), and the whole generated DDL equals the reviewed golden file.
// `SYNCWATCH_UPDATE_GOLDEN=1 npm test -- test/store/cluster-ddl.test.ts` rewrites it after a
// deliberate change (then review the diff).
const TARGET: ClusterTarget = { cluster: 'syncwatch', database: 'syncwatch' };
const GOLDEN = path.join(import.meta.dirname, 'golden', 'cluster-ddl.sql');

/** The cluster-mode DDL of a fresh install, in the order `migrate` runs it, as one text. */
function generated(): string {
  const parts = [`-- schema_migrations\n${ledgerStatements(TARGET).join(';\n\n')};`];
  for (const m of migrationsFor(TARGET)) parts.push(`-- ${m.name}\n${m.statements.join(';\n\n')};`);
  return parts.join('\n\n') + '\n';
}

const allStatements = () => [...ledgerStatements(TARGET), ...migrationsFor(TARGET).flatMap((m) => m.statements)];

let dir: string;
let driver: EmbeddedDriver;
before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'sw-cluster-ddl-'));
  driver = new EmbeddedDriver(dir);
});
after(async () => {
  await driver.close();
  rmSync(dir, { recursive: true, force: true });
});

const formatted = z.object({ f: z.string() });
const format = async (q: string) => (await driver.query({ name: 'formatQuery', sql: 'SELECT formatQuery({q:String}) AS f', params: { q }, schema: formatted }))[0].f;

describe('cluster-mode migrations (CLICKHOUSE_CLUSTER)', () => {
  test('the generated DDL equals the reviewed golden file', () => {
    const text = generated();
    if (process.env.SYNCWATCH_UPDATE_GOLDEN === '1') writeFileSync(GOLDEN, text);
    assert.equal(text, readFileSync(GOLDEN, 'utf8'), 'cluster DDL changed: review, then SYNCWATCH_UPDATE_GOLDEN=1 to accept');
  });

  test('the engine parses every cluster-mode statement, and prints it back the same way', async () => {
    const statements = allStatements();
    assert.ok(statements.length > 80, `${statements.length} statements`);
    for (const s of statements) {
      const once = await format(s);
      assert.equal(await format(once), once, `unstable formatting of: ${s.slice(0, 80)}`);
      if (/^(CREATE|ALTER)/.test(s)) assert.match(once, /ON CLUSTER syncwatch/, s.slice(0, 80));
    }
  });

  test('every single-server table has a replicated local table and a Distributed table sharded by tenant where it has one', async () => {
    const created = allStatements().join('\n');
    const singleTables = readMigrations()
      .flatMap((m) => m.statements)
      .map((s) => /^CREATE TABLE IF NOT EXISTS (\w+) \(([\s\S]*)\) ENGINE/.exec(s))
      .filter((m): m is RegExpExecArray => m !== null);
    assert.ok(singleTables.length >= 25, `${singleTables.length} tables`);
    for (const [, name, columns] of singleTables) {
      assert.match(created, new RegExp(`CREATE TABLE IF NOT EXISTS ${name}_local ON CLUSTER syncwatch \\([\\s\\S]*?\\) ENGINE = Replicated\\w*MergeTree\\('/clickhouse/tables/\\{shard\\}/syncwatch/${name}_local', '\\{replica\\}'`), name);
      const shard = new RegExp(`CREATE TABLE IF NOT EXISTS ${name} ON CLUSTER syncwatch AS ${name}_local\\nENGINE = Distributed\\(syncwatch, syncwatch, ${name}_local, cityHash64\\((\\w+)\\)\\)`).exec(created);
      assert.ok(shard, `${name}: Distributed table`);
      // A staged batch stays whole on one shard (its insert is then all-or-nothing).
      if (name === 'ingest_staging') assert.equal(shard[1], 'batch_id');
      else if (/^\s*tenant\s/m.test(columns)) assert.equal(shard[1], 'tenant', `${name} shards by tenant`);
    }
  });

  test('views read and write the local tables, so each shard aggregates the events it stores', () => {
    const views = allStatements().filter((s) => s.startsWith('CREATE MATERIALIZED VIEW'));
    assert.ok(views.length >= 15);
    for (const v of views) {
      assert.match(v, /^CREATE MATERIALIZED VIEW IF NOT EXISTS \w+ ON CLUSTER syncwatch TO \w+_local AS\n/);
      assert.match(v, /\bFROM events_local\b/);
      assert.doesNotMatch(v, /\bFROM events\b(?!_local)/);
    }
  });

  test('de-duplication windows are the replicated ones; the lease is a KeeperMap table on every host', () => {
    const all = allStatements();
    assert.equal(all.filter((s) => /non_replicated_deduplication_window/.test(s)).length, 0);
    assert.ok(all.filter((s) => /_local ON CLUSTER syncwatch MODIFY SETTING replicated_deduplication_window = 10000$/.test(s)).length >= 17);
    assert.ok(all.includes(
      "CREATE TABLE IF NOT EXISTS alert_lease_keeper ON CLUSTER syncwatch (\n    name String,\n    holder String,\n    expires_at UInt64,\n    version UInt64\n) ENGINE = KeeperMap('/syncwatch/syncwatch/alert_lease_keeper') PRIMARY KEY name",
    ));
    // The single-server migrations never see the cluster-only file.
    assert.equal(readMigrations().some((m) => m.name.includes('keeper')), false);
  });

  test('a statement with no cluster-mode form is refused rather than passed through', () => {
    assert.throws(() => clusterStatements('DROP TABLE events', TARGET), /no cluster-mode form/);
    assert.throws(() => clusterStatements('CREATE TABLE IF NOT EXISTS t (a String) ENGINE = Log', TARGET), /engine Log/);
    assert.throws(() => clusterStatements('CREATE MATERIALIZED VIEW IF NOT EXISTS v TO t AS\nSELECT a FROM events JOIN x USING a', TARGET), /events alone/);
    assert.throws(() => clusterStatements('ALTER TABLE events DROP COLUMN x', TARGET), /no cluster-mode form/);
    assert.throws(() => clusterStatements('SELECT 1', { cluster: 'a b', database: 'd' }), /identifiers/);
  });

  test('CLICKHOUSE_CLUSTER needs a server and a plain name', () => {
    assert.throws(() => loadConfig({ CLICKHOUSE_CLUSTER: 'prod' }), (err) => err instanceof ConfigError && /needs CLICKHOUSE_URL/.test(err.message));
    assert.throws(() => loadConfig({ CLICKHOUSE_URL: 'http://127.0.0.1:8123', CLICKHOUSE_CLUSTER: "x'; DROP" }), /cluster name/);
    assert.equal(loadConfig({ CLICKHOUSE_URL: 'http://127.0.0.1:8123', CLICKHOUSE_CLUSTER: 'prod' }).clickhouse.cluster, 'prod');
  });
});
