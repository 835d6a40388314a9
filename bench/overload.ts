// Ingest under a flood past capacity, with and without the admission limit
// (src/http/admission.ts, SYNCWATCH_MAX_INFLIGHT_REQUESTS / _BYTES).
//
// The service runs as its own process (`syncwatch serve`, fresh data dir, embedded store), so
// its event loop and its peak RSS (VmHWM) are its own. This process is the flood: --concurrency
// clients post bodies of --batch events to /v1/events; a client refused with 503 waits the
// Retry-After and sends the same body again (what an OTLP exporter does), until every body is
// accepted. GET /healthz runs every 100 ms alongside. Per run: latency of accepted requests,
// share of answers that were 503, health latency, peak RSS, and the store's written count,
// which must equal the events sent (a 503'd body stored in part would come back as duplicates).
//
//   npx tsx bench/overload.ts --events 480000 --batch 5000 --concurrency 96 --rounds 2 [--no-write]
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { serveProcess, type ServeProcess } from '../test/support/serve-process.js';
import { generateEvents } from './events.js';
import { positiveInt, quantile } from './report.js';

const RESULTS = fileURLToPath(new URL('./RESULTS.md', import.meta.url));
const KEY = 'bench-overload-key-0123456789abcdef';

const opts = new Command('bench:overload')
  .description('a flood of /v1/events requests past capacity, with and without the ingest admission limit')
  .option('--events <n>', 'events to send', positiveInt, 480_000)
  .option('--batch <n>', 'events per request', positiveInt, 5_000)
  .option('--concurrency <n>', 'clients, each with one request in flight', positiveInt, 96)
  .option('--rounds <n>', 'pairs of runs (without the limit, then with it)', positiveInt, 1)
  .option('--limited-env <vars>', 'settings of the limited run, e.g. SYNCWATCH_MAX_INFLIGHT_REQUESTS=8 (default: the built-in defaults)', '')
  .option('--only-limited', 'run only with the limit (to compare settings); the unlimited run is the slow one')
  .option('--note <text>', 'label for the RESULTS.md section')
  .option('--no-write', 'print only; do not append to bench/RESULTS.md')
  .parse()
  .opts<{ events: number; batch: number; concurrency: number; rounds: number; limitedEnv: string; onlyLimited?: boolean; note?: string; write: boolean }>();

interface Run {
  mode: string;
  seconds: number;
  accepted: number[];
  refused: number[];
  health: number[];
  healthFailures: number;
  clientErrors: string[];
  peakRssBytes: number;
  written: number;
  duplicates: number;
}

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const ms = (x: number | undefined) => (x === undefined ? '–' : `${Math.round(x)} ms`);

async function metricValue(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

function peakRss(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

/**
 * One POST over node:http, timed to the response's headers: fetch (undici) reports a response
 * only once its own upload has finished, which would charge an early 503 with the time to push
 * the rest of a body the service is discarding.
 */
function post(agent: http.Agent, url: string, body: Buffer): Promise<{ status: number; retryAfter: number; ms: number }> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const req = http.request(`${url}/v1/events`, { method: 'POST', agent, headers: { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/json', 'Content-Length': body.length } }, (res) => {
      const ms = performance.now() - start;
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: Number(res.headers['retry-after'] ?? 1), ms }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function runFlood(mode: string, env: Record<string, string>, bodies: Buffer[]): Promise<Run> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sw-overload-'));
  let service: ServeProcess | null = null;
  try {
    service = await serveProcess({ SYNCWATCH_DATA_DIR: dataDir, SYNCWATCH_INGEST_KEY: KEY, ...env }, 180_000);
    const { url } = service;
    const accepted: number[] = [];
    const refused: number[] = [];
    const clientErrors: string[] = [];
    const health: number[] = [];
    let healthFailures = 0;
    let running = true;
    const probe = (async () => {
      while (running) {
        const t0 = performance.now();
        try {
          const res = await fetch(`${url}/healthz`);
          await res.arrayBuffer();
          if (res.status === 200) health.push(performance.now() - t0);
          else healthFailures++;
        } catch {
          healthFailures++;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    let next = 0;
    const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: opts.concurrency }, async () => {
        while (next < bodies.length) {
          const body = bodies[next++];
          for (;;) {
            try {
              const res = await post(agent, url, body);
              if (res.status === 202) {
                accepted.push(res.ms);
                break;
              }
              if (res.status !== 503) throw new Error(`status ${res.status}`);
              refused.push(res.ms);
              await new Promise((resolve) => setTimeout(resolve, res.retryAfter * 1000));
            } catch (err) {
              // A reset or another status: counted, and the body is sent again after a second.
              const e = err as NodeJS.ErrnoException;
              clientErrors.push(e.code ?? e.message);
              await new Promise((resolve) => setTimeout(resolve, 1000));
            }
          }
        }
      }),
    );
    const events = bodies.length * opts.batch;
    let written = 0;
    for (const deadline = Date.now() + 300_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 250))) {
      written = await metricValue(url, 'syncwatch_store_events_written_total');
      if (written >= events) break;
    }
    const seconds = (performance.now() - t0) / 1000;
    agent.destroy();
    running = false;
    await probe;
    const duplicates = await metricValue(url, 'syncwatch_ingest_duplicates_dropped_total');
    return { mode, seconds, accepted, refused, health, healthFailures, clientErrors, peakRssBytes: peakRss(service.child.pid!), written, duplicates };
  } finally {
    if (service) {
      const exited = new Promise((resolve) => service!.child.once('exit', resolve));
      service.child.kill('SIGTERM');
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function describe(run: Run, events: number): [string, string][] {
  const acc = sorted(run.accepted);
  const ref = sorted(run.refused);
  const h = sorted(run.health);
  const answers = acc.length + ref.length;
  return [
    [`${run.mode}: wall time, rate`, `${run.seconds.toFixed(1)} s (first request to all ${events.toLocaleString('en-US')} events written), ${Math.round(events / run.seconds).toLocaleString('en-US')} events/s`],
    [`${run.mode}: accepted requests (202)`, `${acc.length}; to response headers p50 ${ms(quantile(acc, 0.5))}, p99 ${ms(quantile(acc, 0.99))}, max ${ms(acc.at(-1))}`],
    [`${run.mode}: refused at capacity (503)`, `${ref.length} of ${answers} answers (${((100 * ref.length) / Math.max(1, answers)).toFixed(0)} %); to response headers p50 ${ms(quantile(ref, 0.5))}, p99 ${ms(quantile(ref, 0.99))}`],
    [`${run.mode}: client errors (resets, other statuses)`, run.clientErrors.length ? run.clientErrors.join(', ') : '0'],
    [`${run.mode}: GET /healthz`, `p50 ${ms(quantile(h, 0.5))}, p99 ${ms(quantile(h, 0.99))}, max ${ms(h.at(-1))} (${h.length} probes, ${run.healthFailures} failed)`],
    [`${run.mode}: service peak RSS (VmHWM)`, `${Math.round(run.peakRssBytes / 1048576)} MiB`],
    [`${run.mode}: events written / duplicates dropped`, `${run.written.toLocaleString('en-US')} / ${run.duplicates}`],
  ];
}

const day = 864e5;
const baseMs = Math.floor(Date.now() / day) * day - 3 * day;
const bodies: Buffer[] = [];
for (let from = 0; from < opts.events; from += opts.batch) bodies.push(Buffer.from(JSON.stringify(generateEvents(from, Math.min(from + opts.batch, opts.events), opts.events, baseMs))));
const events = bodies.length * opts.batch;
const limitedEnv = Object.fromEntries(opts.limitedEnv.split(/[\s,]+/).filter(Boolean).map((kv) => kv.split('=') as [string, string]));
const unlimited = { SYNCWATCH_MAX_INFLIGHT_REQUESTS: '1000000', SYNCWATCH_MAX_INFLIGHT_BYTES: String(2 ** 50) };
const loadAtStart = os.loadavg().map((l) => l.toFixed(1)).join(' / ');

const lines: [string, string][] = [
  ['flood', `${events.toLocaleString('en-US')} events, ${bodies.length} requests of ${opts.batch} (${(bodies[0].length / 1048576).toFixed(1)} MiB each), ${opts.concurrency} clients; a 503 waits Retry-After and resends`],
  ['limited run settings', opts.limitedEnv || 'the defaults (SYNCWATCH_MAX_INFLIGHT_REQUESTS, SYNCWATCH_MAX_INFLIGHT_BYTES unset)'],
];
for (let round = 1; round <= opts.rounds; round++) {
  const modes: [string, Record<string, string>][] = [[`round ${round} without the limit`, unlimited], [`round ${round} with the limit`, limitedEnv]];
  for (const [mode, env] of opts.onlyLimited ? modes.slice(1) : modes) {
    const run = await runFlood(mode, env, bodies);
    const described = describe(run, events);
    for (const [k, v] of described) console.log(`${k}: ${v}`);
    lines.push(...described);
  }
}
lines.push(
  ['machine', `${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB`],
  ['node', process.version],
  ['load average (1/5/15 min)', `start ${loadAtStart}; end ${os.loadavg().map((l) => l.toFixed(1)).join(' / ')}`],
);
if (opts.write) {
  const date = new Date().toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
  appendFileSync(RESULTS, `\n### ${date} — ingest admission under a flood (\`bench/overload.ts\`)${opts.note ? `: ${opts.note}` : ''}\n\n| | |\n| --- | --- |\n${lines.map(([k, v]) => `| ${k} | ${v} |`).join('\n')}\n`);
}
process.exit(0);
