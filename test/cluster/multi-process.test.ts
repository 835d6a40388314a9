import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { startClickHouseShim, type ClickHouseShim } from '../support/clickhouse-shim.js';
import { serveProcess, type ServeProcess } from '../support/serve-process.js';

// Several API processes and one worker on one remote store (the test endpoint: the
// ClickHouse HTTP interface over the embedded engine). The same event ids arrive through
// different processes at the same moment; every figure must count each event once.

const ADMIN = 'admin-key-multi-0123456789abcdef';
const TENANTS = ['acme', 'globex', 'initech'];
const dirs: string[] = [];
const procs: ServeProcess[] = [];
let shim: ClickHouseShim;
let ch: ClickHouseClient;

before(async () => {
  shim = await startClickHouseShim();
  ch = createClient({ url: shim.url });
});
after(async () => {
  for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  await ch.close();
  await shim.stop();
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

/** Four processes start one after another on a machine the rest of the suite also loads. */
const START_TIMEOUT_MS = 240_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const auth = { Authorization: `Bearer ${ADMIN}` };

async function serve(role: 'api' | 'worker'): Promise<ServeProcess> {
  const dir = mkdtempSync(path.join(tmpdir(), `syncwatch-${role}-`));
  dirs.push(dir);
  const p = await serveProcess({ CLICKHOUSE_URL: shim.url, SYNCWATCH_DATA_DIR: dir, SYNCWATCH_ADMIN_KEY: ADMIN, SYNCWATCH_ROLE: role, SYNCWATCH_BATCH_MS: '200' }, START_TIMEOUT_MS);
  procs.push(p);
  return p;
}

async function scalar(sql: string): Promise<number> {
  const rs = await ch.query({ query: sql, format: 'JSONEachRow' });
  const [row] = (await rs.json()) as { n: string | number }[];
  return Number(row.n);
}

async function waitFor(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await check().catch(() => false)) return;
    await sleep(100);
  }
  assert.fail(`timed out waiting for ${what}`);
}

/** The workload: per tenant, runs of 20 records (a few failed), each run started and ended; every event has an id. */
function workload(): Record<string, unknown>[] {
  const now = Date.now();
  const events: Record<string, unknown>[] = [];
  for (const tenant of TENANTS) {
    for (let r = 0; r < 6; r++) {
      const run = `${tenant}-run-${r}`;
      const at = (k: number) => new Date(now - 3 * 3600_000 + r * 60_000 + k * 100).toISOString();
      const base = { tenant, integration: 'netsuite', flow: 'orders.export', run };
      events.push({ ...base, id: `${run}-start`, type: 'run.started', time: at(0) });
      for (let i = 0; i < 20; i++) {
        const failed = i % 7 === 3;
        events.push({
          ...base,
          id: `${run}-rec-${i}`,
          type: failed ? 'record.failed' : 'record.synced',
          time: at(1 + i),
          record: { id: `R-${tenant}-${r}-${i}`, type: 'order', value: 2.5 + i, currency: 'USD' },
          ...(failed ? { error: { message: 'email is required', http_status: 422 } } : {}),
        });
      }
      events.push({ ...base, id: `${run}-end`, type: 'run.succeeded', time: at(30), records_total: 20 });
    }
  }
  return events;
}

async function post(url: string, events: unknown[]): Promise<void> {
  const res = await fetch(`${url}/v1/events`, { method: 'POST', headers: { ...auth, 'Content-Type': 'application/json' }, body: JSON.stringify(events) });
  const body = await res.json();
  assert.equal(res.status, 202, JSON.stringify(body));
  assert.deepEqual(body.rejected, [], JSON.stringify(body.rejected.slice(0, 2)));
  assert.equal(body.accepted, events.length);
}

describe('3 api processes + 1 worker on one remote store', () => {
  test('overlapping ids through different processes at once: every figure equals a raw recount', async () => {
    const worker = await serve('worker');
    const apis = [await serve('api'), await serve('api'), await serve('api')];
    const events = workload();
    // Chunks of 40; chunk k goes to api k%3 and (k+1)%3 at the same moment, and every
    // fifth chunk to all three; then everything once more through api 0 (a client retry).
    const chunks: unknown[][] = [];
    for (let i = 0; i < events.length; i += 40) chunks.push(events.slice(i, i + 40));
    await Promise.all(
      chunks.flatMap((chunk, k) => {
        const targets = k % 5 === 0 ? apis : [apis[k % 3], apis[(k + 1) % 3]];
        return targets.map((a) => post(a.url, chunk));
      }),
    );
    await post(apis[0].url, events.slice(0, 100));

    // The worker serves no API, and says what it does.
    const refused = await fetch(`${worker.url}/v1/health`, { headers: auth });
    assert.equal(refused.status, 404);
    assert.match((await refused.json()).error.message, /worker process/);

    await waitFor(async () => {
      for (const a of apis) {
        const r = await (await fetch(`${a.url}/readyz`)).json();
        if (r.spool_backlog_segments !== 0 || r.oldest_pending_seconds !== 0) return false;
      }
      const w = await (await fetch(`${worker.url}/readyz`)).json();
      const waiting = await scalar('SELECT count() AS n FROM ingest_staging WHERE batch_id NOT IN (SELECT batch_id FROM ingest_staging_done)');
      return w.leader === true && waiting === 0 && (await scalar('SELECT count() AS n FROM events')) >= events.length;
    }, 'every staged batch to be written');

    const n = events.length;
    assert.equal(await scalar('SELECT count() AS n FROM events'), n, 'raw rows, without FINAL: none twice');
    assert.equal(await scalar('SELECT uniqExact(tenant, event_id) AS n FROM events'), n);
    const synced = await scalar("SELECT count() AS n FROM events WHERE type = 'record.synced'");
    const failed = await scalar("SELECT count() AS n FROM events WHERE type = 'record.failed'");
    assert.equal(synced + failed, 18 * 20);
    assert.equal(await scalar('SELECT sum(records_synced) AS n FROM flow_stats'), synced);
    assert.equal(await scalar('SELECT sum(records_failed) AS n FROM flow_stats'), failed);
    assert.equal(await scalar('SELECT sum(runs_total) AS n FROM flow_stats'), 18);
    assert.equal(await scalar('SELECT sum(synced) AS n FROM value_stats'), synced);
    assert.equal(await scalar('SELECT count() AS n FROM record_events'), synced + failed);
    assert.equal(await scalar('SELECT count() AS n FROM activity_log'), synced + failed + 18);
    assert.equal(await scalar('SELECT sum(records_synced) AS n FROM runs'), synced);

    for (const [t, tenant] of TENANTS.entries()) {
      const api = apis[t];
      const rawSynced = await scalar(`SELECT count() AS n FROM events WHERE tenant = '${tenant}' AND type = 'record.synced'`);
      const rawFailed = await scalar(`SELECT count() AS n FROM events WHERE tenant = '${tenant}' AND type = 'record.failed'`);
      const rawValue = await scalar(`SELECT sum(record_value) AS n FROM events WHERE tenant = '${tenant}' AND type = 'record.synced'`);
      const health = await (await fetch(`${api.url}/v1/health?tenant=${tenant}`, { headers: auth })).json();
      assert.deepEqual(
        { synced: health.connections[0].flows[0].records.synced, failed: health.connections[0].flows[0].records.failed },
        { synced: rawSynced, failed: rawFailed },
        `health of ${tenant}`,
      );
      const value = await (await fetch(`${api.url}/v1/value?tenant=${tenant}&window=24h`, { headers: auth })).json();
      const rawAtRisk = await scalar(`SELECT sum(record_value) AS n FROM events WHERE tenant = '${tenant}' AND type = 'record.failed'`);
      assert.equal(value.records_moved, rawSynced, `records moved for ${tenant}`);
      assert.equal(value.records_failed, rawFailed, `records failed for ${tenant}`);
      assert.equal(value.money_moved.total, rawValue, `money moved for ${tenant}`);
      assert.deepEqual({ records: value.value_at_risk.records, total: value.value_at_risk.total }, { records: rawFailed, total: rawAtRisk }, `value at risk for ${tenant}`);
      const runs = await (await fetch(`${api.url}/v1/runs?tenant=${tenant}&window=24h`, { headers: auth })).json();
      assert.equal(runs.runs.length, 6);
      for (const run of runs.runs) {
        const raw = await scalar(`SELECT count() AS n FROM events WHERE tenant = '${tenant}' AND run = '${run.run}' AND type = 'record.synced'`);
        assert.equal(run.records.synced, raw, `run ${run.run}`);
      }
      const record = await (await fetch(`${api.url}/v1/records?tenant=${tenant}&record_id=R-${tenant}-0-3`, { headers: auth })).json();
      assert.equal(record.attempts.length, 1, 'a record sent through three processes was attempted once');
      assert.equal(record.status, 'failed');
    }

    // Roles in /readyz: api processes ingest and serve; only the worker holds the lease.
    for (const a of apis) {
      const r = await (await fetch(`${a.url}/readyz`)).json();
      assert.equal(r.role, 'api');
      assert.deepEqual(r.duties, ['ingest', 'api']);
      assert.equal('leader' in r, false);
    }
    for (const p of [worker, ...apis]) {
      p.child.kill('SIGTERM');
      await once(p.child, 'exit');
    }
  });
});
