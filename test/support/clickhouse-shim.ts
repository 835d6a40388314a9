/**
 * Starts the test-only ClickHouse HTTP endpoint (clickhouse-http-server.ts) in a child
 * process — chdb allows one data directory per process, so it cannot share the test's.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** A running shim: its base URL for `createClient({ url })`, and how to end it. */
export interface ClickHouseShim {
  url: string;
  stop(): Promise<void>;
}

/** Options for {@link startClickHouseShim}. */
export interface ClickHouseShimOptions {
  /** When set, every query must authenticate with this password (any user name). */
  password?: string;
}

const serverScript = fileURLToPath(new URL('./clickhouse-http-server.ts', import.meta.url));
const repoRoot = path.resolve(path.dirname(serverScript), '..', '..');
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;

/** Spawns the shim on a fresh temp data directory and resolves once it listens. */
export async function startClickHouseShim(options: ClickHouseShimOptions = {}): Promise<ClickHouseShim> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'syncwatch-ch-shim-'));
  const env = { ...process.env };
  delete env.SHIM_PASSWORD;
  if (options.password !== undefined) env.SHIM_PASSWORD = options.password;
  const child = spawn(process.execPath, ['--import', 'tsx', serverScript, dataDir], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) => {
      let seen = '';
      const timer = setTimeout(() => reject(new Error('ClickHouse shim did not start in time')), START_TIMEOUT_MS);
      child.stdout.setEncoding('utf8');
      child.stdout.on('data', (chunk: string) => {
        seen += chunk;
        const match = /^LISTENING (\d+)$/m.exec(seen);
        if (match) {
          clearTimeout(timer);
          resolve(Number(match[1]));
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`ClickHouse shim exited before listening (code ${code}, signal ${signal})`));
      });
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }

  let stopping: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    stop() {
      stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          // The engine closes its data directory on SIGTERM; only a hung child is killed outright.
          const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
          await exited;
          clearTimeout(timer);
        }
        await rm(dataDir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}
