import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createTestDatabase } from '../support/remote-db.js';
import { serveProcess, type ServeProcess } from '../support/serve-process.js';

const ADMIN = 'admin-key-durability-0123456789';
const dirs: string[] = [];
// Against a real server (CLICKHOUSE_URL set) both processes of a test share one fresh database.
let db: Awaited<ReturnType<typeof createTestDatabase>>;
before(async () => {
  db = await createTestDatabase();
});
after(async () => {
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
  await db.drop();
});

/** Runs `syncwatch serve` as a real process; flushes only every `batchMs`, so rows sit in the spool. */
function serve(dataDir: string, batchMs: number): Promise<ServeProcess> {
  return serveProcess({ ...db.env, SYNCWATCH_DATA_DIR: dataDir, SYNCWATCH_ADMIN_KEY: ADMIN, SYNCWATCH_BATCH_MS: String(batchMs) });
}

const events = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => ({
    id: `${prefix}-${i}`,
    type: 'record.synced',
    tenant: 'acme',
    integration: 'hubspot',
    flow: 'contacts.import',
    record: { id: `${prefix}-C${i}` },
  }));

async function send(url: string, prefix: string, n: number) {
  const res = await fetch(`${url}/v1/events`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${ADMIN}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(events(prefix, n)),
  });
  assert.equal(res.status, 202);
  assert.equal((await res.json()).accepted, n);
}

async function storedCount(url: string, prefix: string, n: number): Promise<number> {
  let found = 0;
  for (const i of [0, Math.floor(n / 2), n - 1]) {
    const res = await fetch(`${url}/v1/records?tenant=acme&record_id=${prefix}-C${i}`, { headers: { Authorization: `Bearer ${ADMIN}` } });
    found += (await res.json()).attempts.length;
  }
  return found;
}

async function waitFor(check: () => Promise<boolean>) {
  for (let i = 0; i < 200; i++) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

describe('nothing accepted is lost', () => {
  test('SIGTERM drains: accepted events are written before exit and there after a restart', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'syncwatch-drain-'));
    dirs.push(dir);
    const first = await serve(dir, 3_600_000);
    await send(first.url, 'term', 500);
    first.child.kill('SIGTERM');
    const [code] = await once(first.child, 'exit');
    assert.equal(code, 0);
    const second = await serve(dir, 3_600_000);
    try {
      assert.equal(await storedCount(second.url, 'term', 500), 3);
    } finally {
      second.child.kill('SIGTERM');
      await once(second.child, 'exit');
    }
  });

  test('a crash (kill -9) after the 202 loses nothing: the spool is replayed at start, without duplicates', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'syncwatch-crash-'));
    dirs.push(dir);
    const first = await serve(dir, 3_600_000);
    await send(first.url, 'crash', 300);
    await send(first.url, 'crash', 300); // the same ids again: must not double count after replay
    first.child.kill('SIGKILL');
    await once(first.child, 'exit');
    const second = await serve(dir, 100);
    try {
      assert.ok(await waitFor(async () => (await storedCount(second.url, 'crash', 300)) === 3), 'replayed rows did not appear');
      const res = await fetch(`${second.url}/v1/records?tenant=acme&record_id=crash-C7`, { headers: { Authorization: `Bearer ${ADMIN}` } });
      assert.equal((await res.json()).attempts.length, 1);
    } finally {
      second.child.kill('SIGTERM');
      await once(second.child, 'exit');
    }
  });
});
