import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { startClickHouseShim, type ClickHouseShim } from '../support/clickhouse-shim.js';
import { serveProcess, startToggleProxy, type ServeProcess, type ToggleProxy } from '../support/serve-process.js';

// Chaos at small scale: ingest under way against a remote store, the store unreachable
// for a while, a kill -9 in the middle of it, a restart. Every acknowledged event must
// be stored exactly once, and every rollup must equal a recount of the raw rows.

const ADMIN = 'admin-key-chaos-0123456789abcdef';
const dirs: string[] = [];
let shim: ClickHouseShim;
let proxy: ToggleProxy;
let ch: ClickHouseClient;

before(async () => {
  shim = await startClickHouseShim();
  proxy = await startToggleProxy(new URL(shim.url));
  ch = createClient({ url: shim.url });
});
after(async () => {
  await ch.close();
  await proxy.close();
  await shim.stop();
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

const TENANTS = ['acme', 'globex', 'initech'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function serve(dataDir: string): Promise<ServeProcess> {
  return serveProcess({ CLICKHOUSE_URL: proxy.url, SYNCWATCH_DATA_DIR: dataDir, SYNCWATCH_ADMIN_KEY: ADMIN, SYNCWATCH_BATCH_MS: '200', SYNCWATCH_READY_MAX_LAG_SECONDS: '2' });
}

/** Posts a batch of `n` synced records worth 1.25 each; returns the ids acknowledged (202). */
async function send(url: string, prefix: string, n: number): Promise<string[]> {
  const events = Array.from({ length: n }, (_, i) => ({
    id: `${prefix}-${i}`, type: 'record.synced', tenant: TENANTS[i % TENANTS.length], integration: 'netsuite', flow: 'orders.export',
    run: `run-${prefix}`, record: { id: `R-${prefix}-${i}`, value: 1.25, currency: 'USD' },
  }));
  const res = await fetch(`${url}/v1/events`, { method: 'POST', headers: { Authorization: `Bearer ${ADMIN}`, 'Content-Type': 'application/json' }, body: JSON.stringify(events) });
  if (res.status !== 202) return [];
  const body = await res.json();
  assert.equal(body.accepted, n);
  return events.map((e) => e.id);
}

async function scalar(sql: string): Promise<number> {
  const rs = await ch.query({ query: sql, format: 'JSONEachRow' });
  const [row] = (await rs.json()) as { n: string | number }[];
  return Number(row.n);
}

async function waitFor(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await check().catch(() => false)) return;
    await sleep(100);
  }
  assert.fail(`timed out waiting for ${what}`);
}

describe('chaos: store outage, kill -9, restart', () => {
  test('acknowledged = stored exactly once, and rollups equal a raw recount', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'syncwatch-chaos-'));
    dirs.push(dir);
    const acknowledged = new Set<string>();
    const first = await serve(dir);
    for (let b = 0; b < 5; b++) for (const id of await send(first.url, `a${b}`, 40)) acknowledged.add(id);

    proxy.setDown(true); // the store becomes unreachable while ingest goes on
    for (let b = 0; b < 5; b++) for (const id of await send(first.url, `b${b}`, 40)) acknowledged.add(id);
    await waitFor(async () => (await fetch(`${first.url}/readyz`)).status === 503, '/readyz to report the stall');
    const ready = await (await fetch(`${first.url}/readyz`)).json();
    assert.equal(ready.status, 'not_ready');
    assert.match(ready.reason, /store does not answer|ingest is stalled/);
    for (const id of await send(first.url, 'b0', 40)) acknowledged.add(id); // a client retry: the same ids again

    first.child.kill('SIGKILL'); // and the process dies with rows only in its spool
    await once(first.child, 'exit');
    proxy.setDown(false);

    const second = await serve(dir);
    try {
      for (let b = 0; b < 3; b++) for (const id of await send(second.url, `c${b}`, 40)) acknowledged.add(id);
      for (const id of await send(second.url, 'a1', 40)) acknowledged.add(id); // re-sent after the restart
      await waitFor(async () => {
        const r = await (await fetch(`${second.url}/readyz`)).json();
        return r.status === 'ready' && r.spool_backlog_segments === 0 && r.oldest_pending_seconds === 0;
      }, 'the spool to drain');
      await waitFor(async () => (await scalar("SELECT count() AS n FROM events WHERE integration = 'netsuite'")) >= acknowledged.size, 'every acknowledged row to be stored');

      const n = acknowledged.size;
      assert.equal(n, 13 * 40);
      assert.equal(await scalar("SELECT count() AS n FROM events WHERE integration = 'netsuite'"), n, 'raw rows, without FINAL: none twice');
      assert.equal(await scalar("SELECT uniqExact(event_id) AS n FROM events WHERE integration = 'netsuite'"), n);
      assert.equal(await scalar("SELECT sum(records_synced) AS n FROM flow_stats WHERE integration = 'netsuite'"), n);
      assert.equal(await scalar("SELECT sum(synced) AS n FROM value_stats WHERE integration = 'netsuite'"), n);
      assert.equal(await scalar("SELECT toFloat64(sum(synced_value)) AS n FROM value_stats WHERE integration = 'netsuite'"), n * 1.25);
      assert.equal(await scalar("SELECT count() AS n FROM record_events WHERE integration = 'netsuite'"), n);
      assert.equal(await scalar("SELECT count() AS n FROM activity_log WHERE integration = 'netsuite'"), n);
      assert.equal(await scalar("SELECT sum(records) AS n FROM adoption_moved_hourly WHERE integration = 'netsuite'"), n);
      for (const t of TENANTS) {
        const health = await (await fetch(`${second.url}/v1/health?tenant=${t}`, { headers: { Authorization: `Bearer ${ADMIN}` } })).json();
        const raw = await scalar(`SELECT count() AS n FROM events WHERE integration = 'netsuite' AND tenant = '${t}'`);
        assert.equal(health.connections[0].flows[0].records.synced, raw, `health of ${t} equals the raw recount`);
      }
    } finally {
      second.child.kill('SIGTERM');
      await once(second.child, 'exit');
    }
  });
});
