import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { startService, type Service } from '../../src/main.js';
import { copiedTables } from '../../src/store/index.js';
import { startClickHouseShim, type ClickHouseShim } from '../support/clickhouse-shim.js';

// Moving from the embedded store to a server is one command: `syncwatch copy-to-server`.
// A populated embedded store is copied into the remote test endpoint; every copied
// table matches row for row, and the service on the server answers every figure as the
// embedded one did (its rollups rebuilt by the server's own views).

const HOUR = 3600_000;
/** One fixed window for both services: the last day, to the next whole hour. */
const RANGE = (() => {
  const to = Math.ceil(Date.now() / HOUR) * HOUR + HOUR;
  return { from: new Date(to - 24 * HOUR).toISOString(), to: new Date(to).toISOString() };
})();
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ADMIN = 'admin-key-copy-0123456789abcdefgh';
const auth = { Authorization: `Bearer ${ADMIN}` };
let shim: ClickHouseShim;
let ch: ClickHouseClient;
let dir: string;

before(async () => {
  shim = await startClickHouseShim();
  ch = createClient({ url: shim.url });
  dir = mkdtempSync(path.join(tmpdir(), 'syncwatch-copy-'));
});
after(async () => {
  await ch.close();
  await shim.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function start(env: Record<string, string>): Promise<Service> {
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', SYNCWATCH_GRPC_PORT: '0', SYNCWATCH_LOG_LEVEL: 'silent', SYNCWATCH_BATCH_MS: '100', SYNCWATCH_ADMIN_KEY: ADMIN, SYNCWATCH_DATA_DIR: dir, ...env });
  return startService(config, createLogger('silent'));
}

function copyCommand(env: Record<string, string>): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'copy-to-server'], { cwd: ROOT, env: { ...process.env, SYNCWATCH_LOG_LEVEL: 'error', SYNCWATCH_DATA_DIR: dir, ...env } });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d));
  child.stderr.on('data', (d: Buffer) => (err += d));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, out, err })));
}

function workload(): Record<string, unknown>[] {
  const now = Date.now();
  const events: Record<string, unknown>[] = [];
  for (const tenant of ['acme', 'globex']) {
    for (let r = 0; r < 4; r++) {
      const run = `${tenant}-run-${r}`;
      const at = (k: number) => new Date(now - 5 * 3600_000 + r * 600_000 + k * 1000).toISOString();
      const base = { tenant, integration: r % 2 ? 'hubspot' : 'netsuite', flow: 'orders.export', run };
      events.push({ ...base, id: `${run}-start`, type: 'run.started', time: at(0) });
      for (let i = 0; i < 15; i++) {
        const failed = i % 5 === 2;
        events.push({
          ...base,
          id: `${run}-rec-${i}`,
          type: failed ? 'record.failed' : 'record.synced',
          time: at(1 + i),
          record: { id: `R-${tenant}-${i}`, type: 'order', value: 10 + i, currency: i % 3 ? 'USD' : 'EUR' },
          ...(failed ? { error: { message: 'Rate limit exceeded, retry later', http_status: 429 } } : {}),
        });
      }
      events.push({ ...base, id: `${run}-end`, type: r === 3 ? 'run.failed' : 'run.succeeded', time: at(20), ...(r === 3 ? { error: { message: 'upstream returned 503' } } : {}) });
    }
  }
  return events;
}

/** Every figure a user sees, as the API answers it. */
async function figures(url: string): Promise<unknown> {
  const get = async (p: string) => {
    const res = await fetch(`${url}${p}`, { headers: auth });
    assert.equal(res.status, 200, `${p}: ${await res.clone().text()}`);
    const body = await res.json();
    delete body.generated_at;
    return body;
  };
  const out: Record<string, unknown> = {};
  for (const tenant of ['acme', 'globex']) {
    const range = `from=${RANGE.from}&to=${RANGE.to}`;
    out[`health ${tenant}`] = await get(`/v1/health?tenant=${tenant}&${range}`);
    out[`value ${tenant}`] = await get(`/v1/value?tenant=${tenant}&${range}`);
    out[`runs ${tenant}`] = await get(`/v1/runs?tenant=${tenant}&${range}`);
    out[`failures ${tenant}`] = await get(`/v1/failures?tenant=${tenant}&${range}`);
    out[`record ${tenant}`] = await get(`/v1/records?tenant=${tenant}&record_id=R-${tenant}-2`);
    out[`subscriptions ${tenant}`] = await get(`/v1/tenants/${tenant}/subscriptions`);
  }
  return out;
}

describe('syncwatch copy-to-server', () => {
  test('a populated embedded store moves to a server in one command, every figure the same', async () => {
    const embedded = await start({ CLICKHOUSE_URL: '' });
    let before: unknown;
    const counts: Record<string, number> = {};
    try {
      const res = await fetch(`${embedded.url}/v1/events`, { method: 'POST', headers: { ...auth, 'Content-Type': 'application/json' }, body: JSON.stringify(workload()) });
      assert.equal(res.status, 202);
      const sub = await fetch(`${embedded.url}/v1/tenants/acme/subscriptions`, {
        method: 'PUT',
        headers: { ...auth, 'Content-Type': 'application/json' },
        body: JSON.stringify({ emails: ['it@acme.example'], categories: ['data'], delivery: 'immediate' }),
      });
      assert.equal(sub.status, 200);
      await embedded.ingest.batcher.flush();
      before = await figures(embedded.url);
      for (const table of copiedTables()) {
        const [row] = await embedded.driver.query<{ n: string }>({ name: 'count', sql: `SELECT toString(count()) AS n FROM ${table}` });
        counts[table] = Number(row.n);
      }
    } finally {
      await embedded.close();
    }
    assert.equal(counts.events, 2 * 4 * 17);

    const copy = await copyCommand({ CLICKHOUSE_URL: shim.url, CLICKHOUSE_DATABASE: 'default' });
    assert.equal(copy.code, 0, copy.err);
    const summary = JSON.parse(copy.out);
    assert.deepEqual(summary.copied, counts);

    // Row for row: the same rows in every copied table (a checksum over all columns).
    for (const table of copiedTables()) {
      const rs = await ch.query({ query: `SELECT count() AS n FROM ${table}`, format: 'JSONEachRow' });
      const [row] = (await rs.json()) as { n: string }[];
      assert.equal(Number(row.n), counts[table], table);
    }

    const remote = await start({ CLICKHOUSE_URL: shim.url, SYNCWATCH_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'syncwatch-copy-remote-')) });
    try {
      assert.deepEqual(await figures(remote.url), before);
    } finally {
      await remote.close();
    }

    // A second copy would count everything twice: refused, nothing written.
    const again = await copyCommand({ CLICKHOUSE_URL: shim.url, CLICKHOUSE_DATABASE: 'default' });
    assert.equal(again.code, 1);
    assert.match(again.err, /already holds events/);
    const rs = await ch.query({ query: 'SELECT count() AS n FROM events', format: 'JSONEachRow' });
    assert.equal(Number(((await rs.json()) as { n: string }[])[0].n), counts.events);
  });
});
