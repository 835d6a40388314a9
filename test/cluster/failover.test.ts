import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startClickHouseShim, type ClickHouseShim } from '../support/clickhouse-shim.js';
import { serveProcess, type ServeProcess } from '../support/serve-process.js';
import { SECRET, startReceiver } from '../notify/support.js';

// A worker killed in the middle of a dispatch (kill -9 while its webhook request is in
// flight): the standby worker takes the lease over after ttl + take-over delay and
// delivers what was owed. Nothing is lost; a repeat carries the same webhook-id.

const ADMIN = 'admin-key-failover-0123456789abcd';
const TENANTS = ['t1', 't2', 't3', 't4'];
const dirs: string[] = [];
const procs: ServeProcess[] = [];
let shim: ClickHouseShim;

before(async () => {
  shim = await startClickHouseShim();
});
after(async () => {
  for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  await shim.stop();
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const auth = { Authorization: `Bearer ${ADMIN}`, 'Content-Type': 'application/json' };

async function serve(role: 'api' | 'worker', configFile: string): Promise<ServeProcess> {
  const dir = mkdtempSync(path.join(tmpdir(), `syncwatch-failover-${role}-`));
  dirs.push(dir);
  const p = await serveProcess({
    CLICKHOUSE_URL: shim.url,
    SYNCWATCH_DATA_DIR: dir,
    SYNCWATCH_ADMIN_KEY: ADMIN,
    SYNCWATCH_ROLE: role,
    SYNCWATCH_BATCH_MS: '200',
    SYNCWATCH_CONFIG: configFile,
    SYNCWATCH_WEBHOOK_ALLOW: '127.0.0.1',
  }, 240_000);
  procs.push(p);
  return p;
}

describe('worker fail-over', () => {
  test('kill -9 of the worker mid-dispatch: the standby delivers every notification, repeats keep their id', async () => {
    let killed: ServeProcess | null = null;
    let leader: ServeProcess | null = null;
    const rx = await startReceiver(() => {
      // The first delivery: the dispatching worker dies before it can read the answer.
      if (!killed && leader) {
        killed = leader;
        leader.child.kill('SIGKILL');
      }
      return { status: 200 };
    });
    try {
      const dir = mkdtempSync(path.join(tmpdir(), 'syncwatch-failover-'));
      dirs.push(dir);
      const configFile = path.join(dir, 'syncwatch.yaml');
      writeFileSync(configFile, 'alerts:\n  evaluate_every: 1s\n  dispatch_every: 1s\n  lease:\n    ttl: 3s\n    takeover_delay: 1s\n');
      const a = await serve('worker', configFile);
      await sleep(1500);
      const b = await serve('worker', configFile);
      const api = await serve('api', configFile);
      const ready = async (p: ServeProcess) => (await fetch(`${p.url}/readyz`)).json();
      leader = (await ready(a)).leader ? a : (await ready(b)).leader ? b : null;
      assert.ok(leader, 'one worker holds the lease');
      const standby = leader === a ? b : a;
      assert.equal((await ready(standby)).leader, false, 'exactly one leader');

      for (const t of TENANTS) {
        const res = await fetch(`${api.url}/v1/tenants/${t}/subscriptions`, { method: 'PUT', headers: auth, body: JSON.stringify({ webhooks: [{ url: `${rx.url}/${t}`, secret: SECRET }], delivery: 'immediate' }) });
        assert.equal(res.status, 200, await res.text());
      }
      const now = Date.now();
      const events = TENANTS.map((t, i) => ({ id: `exp-${t}`, type: 'auth.expired', tenant: t, integration: 'netsuite', time: new Date(now - 1000 + i).toISOString() }));
      const res = await fetch(`${api.url}/v1/events`, { method: 'POST', headers: auth, body: JSON.stringify(events) });
      assert.equal(res.status, 202);

      const firing = () => rx.requests.filter((r) => (r.json as { type?: string } | null)?.type !== undefined);
      for (let i = 0; i < 900 && new Set(firing().map((r) => r.path)).size < TENANTS.length; i++) await sleep(100);
      assert.ok(killed, 'a worker was killed mid-dispatch');
      const byTenant = new Map<string, Set<string>>();
      for (const r of firing()) {
        const set = byTenant.get(r.path) ?? new Set<string>();
        set.add(String(r.headers['webhook-id']));
        byTenant.set(r.path, set);
      }
      assert.deepEqual([...byTenant.keys()].sort(), TENANTS.map((t) => `/${t}`), 'every tenant was notified: nothing lost');
      for (const [p, ids] of byTenant) assert.equal(ids.size, 1, `${p}: a repeat carries the same webhook-id`);
      assert.equal((await ready(standby)).leader, true, 'the standby took the lease over');
      for (const p of [api, standby]) {
        p.child.kill('SIGTERM');
        await once(p.child, 'exit');
      }
    } finally {
      await rx.close();
    }
  });
});
