import cliProgress from 'cli-progress';
import type { Config } from './config.js';
import { copyStore, openStore, targetIsEmpty, type Driver } from './store/index.js';

/** Where the command writes: the summary to `out`, errors and the progress bar to `err` (stderr). */
export interface CopyIo {
  out(text: string): void;
  err(text: string): void;
  /** Show a progress bar (a terminal); tests and pipes leave it off. */
  progress?: boolean;
}

/**
 * `syncwatch copy-to-server`: moves a populated embedded store (SYNCWATCH_DATA_DIR) to
 * the server at CLICKHOUSE_URL (with CLICKHOUSE_CLUSTER, a cluster), the one step of
 * docs/scaling.md#from-embedded-to-a-server. Both stores are migrated first; the target
 * must hold no events. Rollups are not copied: the target's views rebuild them from the
 * copied events. Returns the exit code.
 */
export async function runCopyCommand(config: Config, io: CopyIo): Promise<number> {
  const { url, database, user, password } = config.clickhouse;
  if (!url) {
    io.err('syncwatch: set CLICKHOUSE_URL (and CLICKHOUSE_DATABASE, CLICKHOUSE_USER, CLICKHOUSE_PASSWORD) to the server to copy into\n');
    return 2;
  }
  let source: Driver | null = null;
  let target: Driver | null = null;
  try {
    source = await openStore({ dataDir: config.dataDir, clickhouse: { database: 'default' } });
    target = await openStore(config);
    if (!(await targetIsEmpty(target))) {
      io.err(`syncwatch: the target database "${database}" already holds events; copy into an empty database (a second copy would count everything twice)\n`);
      return 1;
    }
    const bar = io.progress ? new cliProgress.SingleBar({ format: 'copying {table} [{bar}] {value}/{total} rows', hideCursor: true }, cliProgress.Presets.shades_classic) : null;
    let started = false;
    const copied = await copyStore(source, { url, database, user, password }, ({ table, copiedRows, totalRows }) => {
      if (!bar) return;
      if (!started) bar.start(totalRows, 0, { table });
      started = true;
      bar.update(copiedRows, { table });
    });
    bar?.stop();
    io.out(JSON.stringify({ copied, into: { url: new URL(url).origin, database } }) + '\n');
    return 0;
  } finally {
    await source?.close();
    await target?.close();
  }
}
