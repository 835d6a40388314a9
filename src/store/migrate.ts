import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { clusterMigrations, clusterStatements, type ClusterTarget } from './cluster.js';
import type { Driver } from './driver.js';
import type { Migration } from './migration.js';

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

export type { Migration } from './migration.js';

/**
 * Reads the migration files in order. Statements are split on `;` at the end of a line.
 * `NNN_….cluster.sql` files hold what only a cluster needs (KeeperMap); they are read
 * only with `withClusterOnly`.
 */
export function readMigrations(dir = MIGRATIONS_DIR, withClusterOnly = false): Migration[] {
  const name = withClusterOnly ? /^\d{3}_[a-z0-9_]+(\.cluster)?\.sql$/ : /^\d{3}_[a-z0-9_]+\.sql$/;
  return readdirSync(dir)
    .filter((f) => name.test(f))
    .sort()
    .map((file) => {
      const text = readFileSync(`${dir}/${file}`, 'utf8');
      const statements = text
        .split(/;\s*$/m)
        .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
        .filter(Boolean);
      return { version: Number(file.slice(0, 3)), name: file.replace(/(\.cluster)?\.sql$/, ''), statements };
    });
}

const appliedRow = z.object({ version: z.coerce.number() });

const SCHEMA_MIGRATIONS = `CREATE TABLE IF NOT EXISTS schema_migrations (
       version UInt32, name String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
     ) ENGINE = ReplacingMergeTree ORDER BY version`;

/** The statements that create the migrations' own ledger, for a single server or a cluster. */
export function ledgerStatements(cluster?: ClusterTarget): string[] {
  return cluster ? clusterStatements(SCHEMA_MIGRATIONS, cluster) : [SCHEMA_MIGRATIONS];
}

/** Every migration in the form the store needs: single-server, or rewritten for the cluster. */
export function migrationsFor(cluster?: ClusterTarget): Migration[] {
  return cluster ? clusterMigrations(readMigrations(MIGRATIONS_DIR, true), cluster) : readMigrations();
}

/**
 * Applies the migrations not yet recorded in `schema_migrations`, in order. Every
 * statement is `IF NOT EXISTS`, so a run interrupted half-way is safe to repeat.
 * With a cluster, every statement is its cluster-mode form (src/store/cluster.ts).
 * Returns the names applied.
 */
export async function migrate(driver: Driver, migrations?: Migration[], cluster?: ClusterTarget): Promise<string[]> {
  for (const statement of ledgerStatements(cluster)) await driver.command(statement);
  migrations ??= migrationsFor(cluster);
  const rows = await driver.query({ name: 'migrations.applied', sql: 'SELECT version FROM schema_migrations', schema: appliedRow });
  const applied = new Set(rows.map((r) => r.version));
  const done: string[] = [];
  for (const m of migrations) {
    if (applied.has(m.version)) continue;
    for (const statement of m.statements) await driver.command(statement);
    await driver.insert('schema_migrations', [{ version: m.version, name: m.name }]);
    done.push(m.name);
  }
  return done;
}
