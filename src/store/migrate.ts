import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { Driver } from './driver.js';

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

/** A versioned schema change: `NNN_verb_object.sql`, one or more statements ending in `;`. */
export interface Migration {
  version: number;
  name: string;
  statements: string[];
}

/** Reads the migration files in order. Statements are split on `;` at the end of a line. */
export function readMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((file) => {
      const text = readFileSync(`${dir}/${file}`, 'utf8');
      const statements = text
        .split(/;\s*$/m)
        .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
        .filter(Boolean);
      return { version: Number(file.slice(0, 3)), name: file.replace(/\.sql$/, ''), statements };
    });
}

const appliedRow = z.object({ version: z.coerce.number() });

/**
 * Applies the migrations not yet recorded in `schema_migrations`, in order. Every
 * statement is `IF NOT EXISTS`, so a run interrupted half-way is safe to repeat.
 * Returns the names applied.
 */
export async function migrate(driver: Driver, migrations = readMigrations()): Promise<string[]> {
  await driver.command(
    `CREATE TABLE IF NOT EXISTS schema_migrations (
       version UInt32, name String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
     ) ENGINE = ReplacingMergeTree ORDER BY version`,
  );
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
