import { randomBytes } from 'node:crypto';
import { createClient } from '@clickhouse/client';

/**
 * When the suite runs against a real server (`CLICKHOUSE_URL=… npm test`), each test
 * service gets its own database, created here and dropped afterwards. Without
 * CLICKHOUSE_URL the embedded store is used and nothing happens.
 */
export async function createTestDatabase(url = process.env.CLICKHOUSE_URL): Promise<{ env: Record<string, string>; drop(): Promise<void> }> {
  if (!url) return { env: {}, drop: async () => {} };
  const database = `syncwatch_test_${randomBytes(6).toString('hex')}`;
  const client = createClient({ url, username: process.env.CLICKHOUSE_USER ?? 'default', password: process.env.CLICKHOUSE_PASSWORD ?? '' });
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` });
  return {
    env: { CLICKHOUSE_URL: url, CLICKHOUSE_DATABASE: database },
    async drop() {
      await client.command({ query: `DROP DATABASE IF EXISTS ${database}` });
      await client.close();
    },
  };
}
