import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { serveProcess, type ServeProcess } from '../support/serve-process.js';

// The de-duplication filter lives in memory; a process killed with -9 loses it. Ids it
// stored must still be dropped when re-sent to the next process (which rebuilds the
// filter from event_ids), and ids accepted but not yet written must still be written once.

const ADMIN = 'admin-key-dedup-restart-0123456789';
const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const serve = (dataDir: string, batchMs: number): Promise<ServeProcess> =>
  serveProcess({ SYNCWATCH_DATA_DIR: dataDir, SYNCWATCH_ADMIN_KEY: ADMIN, SYNCWATCH_BATCH_MS: String(batchMs) });

const auth = { Authorization: `Bearer ${ADMIN}` };

async function send(url: string, prefix: string, n: number) {
  const body = Array.from({ length: n }, (_, i) => ({ id: `${prefix}-${i}`, type: 'record.synced', tenant: 'acme', integration: 'hubspot', flow: 'contacts.import', record: { id: `${prefix}-C${i}` } }));
  const res = await fetch(`${url}/v1/events`, { method: 'POST', headers: { ...auth, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal(res.status, 202);
}

/** Attempts stored for each of the given records. */
async function attempts(url: string, prefix: string, indexes: number[]): Promise<number[]> {
  const out: number[] = [];
  for (const i of indexes) {
    const res = await fetch(`${url}/v1/records?tenant=acme&record_id=${prefix}-C${i}`, { headers: auth });
    out.push((await res.json()).attempts.length);
  }
  return out;
}

/** A counter of the process's /metrics. */
async function counter(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`, { headers: auth })).text();
  const m = new RegExp(`^${name} (\\d+)`, 'm').exec(text);
  assert.ok(m, `${name} in /metrics`);
  return Number(m[1]);
}

async function waitFor(check: () => Promise<boolean>) {
  for (let i = 0; i < 300; i++) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

test('after kill -9, ids stored before the crash are still dropped when re-sent, and spooled ids are stored once', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'syncwatch-dedup-kill-'));
  dirs.push(dir);
  const first = await serve(dir, 100);
  await send(first.url, 'stored', 200);
  assert.ok(await waitFor(async () => (await attempts(first.url, 'stored', [0, 199])).every((n) => n === 1)), 'first rows stored');
  // Recent in the first process's window: dropped there without a look-up.
  await send(first.url, 'stored', 200);
  first.child.kill('SIGKILL');
  await once(first.child, 'exit');

  const second = await serve(dir, 100);
  try {
    await send(second.url, 'stored', 200);
    await send(second.url, 'fresh', 50);
    assert.ok(await waitFor(async () => (await attempts(second.url, 'fresh', [0, 49])).every((n) => n === 1)), 'later rows stored');
    assert.deepEqual(await attempts(second.url, 'stored', [0, 57, 100, 199]), [1, 1, 1, 1], 're-sent ids stored once');
    // The views' ReplacingMergeTree would hide a second copy from the page; the writer's own counts do not.
    assert.equal(await counter(second.url, 'syncwatch_store_events_written_total'), 50, 'only the fresh rows were written');
    assert.ok((await counter(second.url, 'syncwatch_ingest_duplicates_dropped_total')) >= 200, 'the re-sent rows were dropped');
  } finally {
    second.child.kill('SIGTERM');
    await once(second.child, 'exit');
  }
});
