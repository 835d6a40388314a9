// Capacity of the scaled-out roles on the remote test endpoint (the ClickHouse HTTP
// interface over chDB, one process, one query at a time — a floor, not a server's speed):
// 1) one `api` process: POST /v1/events until every row is staged (ingest_staging);
// 2) one `worker`: from then until every staged row is in `events` (the one writer).
// `npx tsx bench/roles.ts --events 200000` ; prints, appends nothing (copy into RESULTS.md).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient } from '@clickhouse/client';
import { startClickHouseShim } from '../test/support/clickhouse-shim.js';
import { serveProcess } from '../test/support/serve-process.js';
import { generateEvents } from './events.js';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const N = arg('events', 200_000);
const BATCH = 5_000;
const CONCURRENCY = 4;
const KEY = 'admin-key-bench-0123456789abcdef';
const day = 24 * 3600 * 1000;
const baseMs = Math.floor(Date.now() / day) * day - 3 * day;

const shim = await startClickHouseShim();
const ch = createClient({ url: shim.url, request_timeout: 300_000 });
const count = async (sql: string) => Number(((await (await ch.query({ query: sql, format: 'JSONEachRow' })).json()) as { n: string }[])[0].n);
const env = (role: string) => ({ CLICKHOUSE_URL: shim.url, SYNCWATCH_DATA_DIR: mkdtempSync(path.join(tmpdir(), `bench-${role}-`)), SYNCWATCH_ADMIN_KEY: KEY, SYNCWATCH_ROLE: role });
const api = await serveProcess(env('api'));
const bodies: string[] = [];
for (let i = 0; i < N; i += BATCH) bodies.push(JSON.stringify(generateEvents(i, Math.min(N, i + BATCH), N, baseMs)));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const t0 = performance.now();
let next = 0;
await Promise.all(
  Array.from({ length: CONCURRENCY }, async () => {
    while (next < bodies.length) {
      const body = bodies[next++];
      const res = await fetch(`${api.url}/v1/events`, { method: 'POST', headers: { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/json' }, body });
      if (res.status !== 202) throw new Error(`${res.status} ${await res.text()}`);
    }
  }),
);
const acked = performance.now();
while ((await count('SELECT count() AS n FROM ingest_staging')) < N) await sleep(200);
const staged = performance.now();
const worker = await serveProcess(env('worker'));
const t1 = performance.now();
while ((await count('SELECT count() AS n FROM events')) < N) await sleep(200);
const written = performance.now();
const rate = (ms: number) => Math.round(N / (ms / 1000)).toLocaleString('en-US');
console.log(`events ${N}; api: acknowledged in ${((acked - t0) / 1000).toFixed(1)} s (${rate(acked - t0)}/s), staged in ${((staged - t0) / 1000).toFixed(1)} s (${rate(staged - t0)}/s)`);
console.log(`worker: written to events in ${((written - t1) / 1000).toFixed(1)} s (${rate(written - t1)}/s, including its start)`);
for (const p of [api, worker]) p.child.kill('SIGTERM');
await ch.close();
await shim.stop();
process.exit(0);
