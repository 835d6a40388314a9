import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { startService, type Service, type ServiceOptions } from '../../src/main.js';
import { createTestDatabase } from './remote-db.js';

/** A syncwatch on loopback over a fresh embedded store in a temp dir. */
export interface TestService extends Service {
  config: Config;
  dataDir: string;
  /** Stops the service and removes its data directory. */
  stop(): Promise<void>;
}

/**
 * Starts syncwatch for a test. `env` is merged over a quiet default environment; pass
 * `SYNCWATCH_DATA_DIR` to reuse a directory across restarts (then `stop` keeps it).
 */
export async function startTestService(env: Record<string, string> = {}, options: ServiceOptions = {}): Promise<TestService> {
  const ownDir = env.SYNCWATCH_DATA_DIR === undefined;
  // With CLICKHOUSE_URL in the environment the suite runs against that server, in a database of its own.
  const db = env.CLICKHOUSE_URL ? { env: {}, drop: async () => {} } : await createTestDatabase();
  const dataDir = env.SYNCWATCH_DATA_DIR ?? mkdtempSync(path.join(tmpdir(), 'syncwatch-test-'));
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    // gRPC tests pass a free port of their own; the others need no second listener.
    SYNCWATCH_GRPC_PORT: '0',
    SYNCWATCH_LOG_LEVEL: 'silent',
    SYNCWATCH_BATCH_MS: '100',
    // SYNCWATCH_DECODE_THREADS=1 in the environment runs the suite with request decoding in a worker thread.
    ...(process.env.SYNCWATCH_DECODE_THREADS ? { SYNCWATCH_DECODE_THREADS: process.env.SYNCWATCH_DECODE_THREADS } : {}),
    ...db.env,
    ...env,
    SYNCWATCH_DATA_DIR: dataDir,
  });
  const service = await startService(config, createLogger(config.logLevel), options);
  return {
    ...service,
    config,
    dataDir,
    async stop() {
      await service.close();
      await db.drop();
      if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
