// Alert latency (issue 4, issue 15, bench/alerts): from just before the POST of the event that
// should alert to a loopback tenant webhook receiving the matching `alert.firing`:
//  - event rules (auth.expired, evaluated at ingest), target p99 ≤ 1 s;
//  - window rules (a failure-count threshold and consecutive failed runs), from the event
//    that crosses the threshold (earlier events of the same group were posted before it),
//    target p99 ≤ 5 s. They fire by streaming evaluation (docs/alerts.md#when-window-rules-fire);
//    the periodic evaluation keeps its default 30 s, so a figure under 30 s is not the tick.
// Real clock, node-cron schedules, embedded chdb in a fresh temp dir per run, loopback only.
// Each run is a fresh service; the summary gives each figure's median and spread over runs.
// Results are appended to bench/RESULTS.md.
//
//   npm run bench:alerts                      (3 runs, defaults below)
//   npm run bench:alerts -- --split           (an `api` and a `worker` process on one shared
//                                              store: events posted to the api, alerts sent by the worker)
//   tsx bench/alerts.ts --runs 3 --samples 30 --window-samples 10 --background 1000 [--evaluate-every 30s] [--dispatch-every 5s] [--no-write]
import { once } from 'node:events';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { startService, type Service } from '../src/main.js';
import { startClickHouseShim, type ClickHouseShim } from '../test/support/clickhouse-shim.js';
import { streamingRules } from '../test/support/rule-fixture.js';
import { describeEnvironment, embeddedEngineVersion, positiveInt, quantile } from './report.js';

const RESULTS = fileURLToPath(new URL('./RESULTS.md', import.meta.url));
const ADMIN = 'bench-admin-key-0123456789abcdef';
const INGEST = 'bench-ingest-key-0123456789abcdef';
const SECRET = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;
const TIMEOUT_MS = 45_000;
const TOTAL_BUDGET_MS = 40 * 60_000;
const EVENT_TARGET_MS = 1_000;
const WINDOW_TARGET_MS = 5_000;

// The shipped auth-expired rule, and two window rules whose threshold needs more than one event.
const RULES = streamingRules('auth-expired', 'data-failures', 'consecutive-failed-runs');

const opts = new Command('bench:alerts')
  .description('latency from an alerting event to the tenant webhook: event rules, and window rules by streaming evaluation')
  .option('--runs <n>', 'fresh services, one after another', positiveInt, 3)
  .option('--samples <n>', 'event-rule samples per run (auth.expired)', positiveInt, 30)
  .option('--window-samples <n>', 'window-rule samples per run and rule', positiveInt, 10)
  .option('--background <n>', 'events/s of background ingest (record.synced and run.succeeded over 200 flows) during the measurement; 0: none', (v) => Number(v), 1000)
  .option('--evaluate-every <s>', 'alerts.evaluate_every (the periodic safety net)', '30s')
  .option('--dispatch-every <s>', 'alerts.dispatch_every', '5s')
  .option('--split', 'scaled out: an api and a worker service (in this process) on one store, the ClickHouse HTTP interface over chDB (test/support/clickhouse-shim); events go to the api, the worker alerts')
  .option('--note <text>', 'label for the RESULTS.md section')
  .option('--no-write', 'print only; do not append to bench/RESULTS.md')
  .parse()
  .opts<{ runs: number; samples: number; background: number; windowSamples: number; evaluateEvery: string; dispatchEvery: string; split?: boolean; note?: string; write: boolean }>();

const started = Date.now();
const overBudget = () => Date.now() - started > TOTAL_BUDGET_MS;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ── the loopback webhook receiver (shared by every run) ──────────────────────
interface Arrival {
  at: number;
  type: string;
  tenant: string;
  rules: string[];
}
const arrivals: Arrival[] = [];
const waiters: { match: (a: Arrival) => boolean; resolve: (a: Arrival) => void }[] = [];
const receiver = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const at = performance.now();
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    let body: any;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return;
    }
    const alerts: any[] = body.alerts ?? (body.alert ? [body.alert] : []);
    const tenant = String(body.alert?.tenant ?? alerts[0]?.tenant ?? (req.url ?? '').split('/').pop());
    const arrival = { at, type: String(body.type), tenant, rules: alerts.map((a) => String(a.rule)) };
    arrivals.push(arrival);
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (waiters[i].match(arrival)) {
        waiters[i].resolve(arrival);
        waiters.splice(i, 1);
      }
    }
  });
});
receiver.listen(0, '127.0.0.1');
await once(receiver, 'listening');
const hookBase = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;

function waitForWebhook(match: (a: Arrival) => boolean, ms: number): Promise<Arrival | null> {
  const seen = arrivals.find(match);
  if (seen) return Promise.resolve(seen);
  return new Promise((resolve) => {
    const w = { match, resolve: (a: Arrival) => (clearTimeout(timer), resolve(a)) };
    const timer = setTimeout(() => {
      waiters.splice(waiters.indexOf(w), 1);
      resolve(null);
    }, ms);
    waiters.push(w);
  });
}

interface Kind {
  name: string;
  rule: string;
  /** The events of one sample: all but the last are posted first; the last crosses the threshold. */
  events: (tenant: string, i: number) => Record<string, unknown>[];
  samples: number;
}
const where = { integration: 'salesforce', flow: 'orders.export' };
const KINDS: Kind[] = [
  { name: 'event rule (auth-expired)', rule: 'auth-expired', samples: opts.samples, events: (tenant, i) => [{ type: 'auth.expired', tenant, integration: `hubspot-${i}`, flow: 'contacts.import' }] },
  {
    name: 'window rule (data-failures, 3rd failure in 15m)',
    rule: 'data-failures',
    samples: opts.windowSamples,
    events: (tenant, i) =>
      [0, 1, 2].map((k) => ({ type: 'record.failed', tenant, ...where, run: `run-${tenant}`, record: { id: `ORD-${i}-${k}`, type: 'order', value: 250, currency: 'USD' }, error: { message: 'email is required', http_status: 422 } })),
  },
  {
    name: 'window rule (consecutive-failed-runs, 3rd failed run)',
    rule: 'consecutive-failed-runs',
    samples: opts.windowSamples,
    events: (tenant) => [0, 1, 2].map((k) => ({ type: 'run.failed', tenant, ...where, run: `run-${tenant}-${k}`, error: { message: 'HTTP 503 Service Unavailable', http_status: 503 } })),
  },
];

interface RunResult {
  latencies: Map<string, number[]>;
  missed: Map<string, number>;
  confirmations: number;
  evaluateCron: string;
  dispatchCron: string;
  batchMs: number;
  background: { events: number; seconds: number };
}

/**
 * Background ingest while the samples are taken: successes only (no alert of its own), in
 * batches of 100 every 100 ms scaled to the rate, over 200 flows, so the counters and the
 * confirming evaluations work on a store and a stream that are not idle.
 */
function startBackground(post: (events: Record<string, unknown>[]) => Promise<void>): { stop(): Promise<{ events: number; seconds: number }> } {
  const t0 = performance.now();
  let events = 0;
  let running = opts.background > 0;
  const loop = (async () => {
    for (let i = 0; running; i++) {
      const next = t0 + ((events + 100) / opts.background) * 1000;
      const batch = Array.from({ length: 100 }, (_, k) => {
        const n = (i * 100 + k) % 200;
        const base = { tenant: `bench-bg-${n % 50}`, integration: 'netsuite', flow: `flow-${n % 4}`, time: new Date().toISOString() };
        return k === 99 ? { ...base, type: 'run.succeeded', run: `bg-${i}` } : { ...base, type: 'record.synced', run: `bg-${i}`, record: { id: `BG-${i}-${k}`, type: 'order', value: 10, currency: 'USD' } };
      });
      await post(batch).catch((err) => process.stderr.write(`background post failed: ${(err as Error).message}\n`));
      events += batch.length;
      const wait = next - performance.now();
      if (wait > 0) await sleep(wait);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { events, seconds: (performance.now() - t0) / 1000 };
    },
  };
}

async function runOnce(run: number): Promise<RunResult> {
  const dir = mkdtempSync(path.join(tmpdir(), 'syncwatch-bench-alerts-'));
  const rulesDir = path.join(dir, 'rules');
  mkdirSync(rulesDir);
  writeFileSync(path.join(rulesDir, 'rules.yaml'), RULES);
  const configFile = path.join(dir, 'syncwatch.yaml');
  writeFileSync(configFile, `alerts:\n  evaluate_every: ${opts.evaluateEvery}\n  dispatch_every: ${opts.dispatchEvery}\n`);
  const env = (role: string, shim: ClickHouseShim | null) =>
    loadConfig({
      PORT: '0',
      SYNCWATCH_GRPC_PORT: '0',
      HOST: '127.0.0.1',
      SYNCWATCH_DATA_DIR: path.join(dir, `data-${role}`),
      SYNCWATCH_LOG_LEVEL: 'silent',
      SYNCWATCH_ADMIN_KEY: ADMIN,
      SYNCWATCH_INGEST_KEY: INGEST,
      SYNCWATCH_WEBHOOK_ALLOW: '127.0.0.1',
      SYNCWATCH_ALERT_RULES: rulesDir,
      SYNCWATCH_PUBLIC_URL: 'https://status.vendor.example',
      SYNCWATCH_CONFIG: configFile,
      SYNCWATCH_ROLE: role,
      ...(shim ? { CLICKHOUSE_URL: shim.url } : {}),
    });
  // --split: the worker first (it takes the lease and migrates), then the api process that takes the events.
  const shim = opts.split ? await startClickHouseShim() : null;
  const leader: Service = await startService(env(opts.split ? 'worker' : 'all', shim), createLogger('silent'));
  const service: Service = opts.split ? await startService(env('api', shim), createLogger('silent')) : leader;
  const config = env(opts.split ? 'api' : 'all', shim);
  const api = async (method: string, url: string, key: string, body: unknown) => {
    const res = await fetch(`${service.url}${url}`, { method, headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, text: await res.text() };
  };
  const post = async (events: Record<string, unknown>[]) => {
    const r = await api('POST', '/v1/events', INGEST, events);
    if (r.status !== 202) throw new Error(`POST /v1/events: ${r.status} ${r.text}`);
  };
  for (let i = 0; i < 100 && !leader.alerting.engine?.isLeader; i++) await sleep(100);
  if (!leader.alerting.engine?.isLeader) throw new Error('did not take the alerting lease within 10 s');

  const result: RunResult = {
    latencies: new Map(),
    missed: new Map(),
    confirmations: 0,
    background: { events: 0, seconds: 0 },
    evaluateCron: leader.alerting.settings.evaluateCron,
    dispatchCron: leader.alerting.settings.dispatchCron,
    batchMs: config.ingest.batchMs,
  };
  const background = startBackground(post);
  for (const kind of KINDS) {
    const latencies: number[] = [];
    let missed = 0;
    process.stderr.write(`run ${run}: ${kind.samples} × ${kind.rule}…\n`);
    for (let i = 0; i < kind.samples && !overBudget(); i++) {
      const tenant = `bench-r${run}-${kind.rule}-${String(i).padStart(3, '0')}`;
      const sub = await api('PUT', `/v1/tenants/${tenant}/subscriptions`, ADMIN, {
        webhooks: [{ url: `${hookBase}/hooks/${tenant}`, secret: SECRET }],
        categories: ['data', 'endpoint', 'infra', 'health'],
        delivery: 'immediate',
      });
      if (sub.status !== 200) throw new Error(`PUT subscription ${tenant}: ${sub.status} ${sub.text}`);
      const events = kind.events(tenant, i);
      const time = (k: number) => new Date(Date.now() - (events.length - k) * 1000).toISOString();
      if (events.length > 1) await post(events.slice(0, -1).map((e, k) => ({ ...e, time: time(k) })));
      // A random phase against the schedules (dispatch, evaluation, the batcher's flush).
      await sleep(300 + Math.random() * 1500);
      const waiting = waitForWebhook((a) => a.type === 'alert.firing' && a.tenant === tenant && a.rules.includes(kind.rule), TIMEOUT_MS);
      const t0 = performance.now();
      await post([{ ...events[events.length - 1], time: new Date().toISOString() }]);
      const got = await waiting;
      if (got) latencies.push(got.at - t0);
      else missed++;
      const target = kind.rule === 'auth-expired' ? EVENT_TARGET_MS : WINDOW_TARGET_MS;
      // Where a slow sample fell against the 30 s evaluation schedule tells a tick's cost from the streaming path's.
      if (!got || got.at - t0 > target) process.stderr.write(`  slow: ${kind.rule} ${got ? Math.round(got.at - t0) : 'missed'} ms, posted ${(Date.now() % 30_000) / 1000} s into a 30 s period\n`);
    }
    result.latencies.set(kind.name, latencies);
    result.missed.set(kind.name, missed);
  }
  result.background = await background.stop();
  result.confirmations = leader.alerting.streaming?.confirmations ?? 0;
  if (service !== leader) await service.close();
  await leader.close();
  await shim?.stop();
  rmSync(dir, { recursive: true, force: true });
  return result;
}

const results: RunResult[] = [];
for (let run = 1; run <= opts.runs && !overBudget(); run++) results.push(await runOnce(run));
await new Promise<void>((r) => {
  receiver.closeAllConnections();
  receiver.close(() => r());
});

// ── report ───────────────────────────────────────────────────────────────────
const ms = (x: number) => (Number.isFinite(x) ? `${Math.round(x)} ms` : 'n/a');
const pct = (xs: number[], p: number) => (xs.length ? quantile([...xs].sort((a, b) => a - b), p) : NaN);
const median = (xs: number[]) => pct(xs, 0.5);
const perRun = KINDS.map((k) =>
  results.map((r, i) => {
    const xs = r.latencies.get(k.name) ?? [];
    return { run: i + 1, n: xs.length, missed: r.missed.get(k.name) ?? 0, p50: pct(xs, 0.5), p99: pct(xs, 0.99), max: Math.max(...xs) };
  }),
);
const runTable = [
  '| run | rule kind | samples | missed | p50 | p99 | max |',
  '| --- | --- | --- | --- | --- | --- | --- |',
  ...KINDS.flatMap((k, ki) => perRun[ki].map((s) => `| ${s.run} | ${k.name} | ${s.n} | ${s.missed} | ${ms(s.p50)} | ${ms(s.p99)} | ${ms(s.max)} |`)),
].join('\n');
const verdicts: string[] = [];
const summaryTable = [
  '| rule kind | target | p99, median of runs | p99 spread (min–max) | p50, median of runs | missed | verdict |',
  '| --- | --- | --- | --- | --- | --- | --- |',
  ...KINDS.map((k, ki) => {
    const p99s = perRun[ki].map((s) => s.p99);
    const missed = perRun[ki].reduce((n, s) => n + s.missed, 0);
    const target = k.rule === 'auth-expired' ? EVENT_TARGET_MS : WINDOW_TARGET_MS;
    const met = missed === 0 && p99s.length > 0 && p99s.every((p) => p <= target);
    verdicts.push(`${k.name}: ${met ? 'meets' : 'does NOT meet'} p99 ≤ ${target / 1000} s in every run`);
    return `| ${k.name} | p99 ≤ ${target / 1000} s | ${ms(median(p99s))} | ${ms(Math.min(...p99s))} – ${ms(Math.max(...p99s))} | ${ms(median(perRun[ki].map((s) => s.p50)))} | ${missed} | ${met ? 'met' : 'NOT met'} |`;
  }),
].join('\n');
const first = results[0];
const env = await describeEnvironment(embeddedEngineVersion);
const settingsLines: [string, string][] = [
  ['runs', `${results.length} (a fresh service and store each)`],
  ['alerts.evaluate_every', `${opts.evaluateEvery} (cron \`${first?.evaluateCron}\`): the periodic safety net`],
  ['alerts.dispatch_every', `${opts.dispatchEvery} (cron \`${first?.dispatchCron}\`)`],
  ['SYNCWATCH_BATCH_MS', `${first?.batchMs} (default)`],
  ['background ingest', `${opts.background} events/s asked; achieved per run: ${results.map((r) => (r.background.seconds ? Math.round(r.background.events / r.background.seconds) : 0)).join(', ')} events/s (successes over 200 flows)`],
  ['streaming confirmations per run', results.map((r) => r.confirmations).join(', ')],
  ['rules', 'auth-expired (event); data-failures (failure_count ≥ 3 in 15m, for 0); consecutive-failed-runs (3 runs, audience tenant); tenant route defaults (group_wait 0)'],
  ['store', opts.split
    ? 'scaled out: an `api` service (takes the events, stages them) and a `worker` service (lease holder: drains, evaluates, sends), both in this process, on one chDB behind the ClickHouse HTTP interface (test/support/clickhouse-shim), fresh per run; real clock; loopback webhook receiver, one subscription per tenant'
    : 'embedded chdb, fresh temp data dir per run; real clock; loopback webhook receiver, one subscription per tenant'],
];
console.log(`${summaryTable}\n\n${runTable}`);
for (const [k, v] of [...settingsLines, ...Object.entries(env)]) console.log(`${k}: ${v}`);
console.log(`\n${verdicts.join('\n')}`);

if (opts.write) {
  const date = new Date().toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
  const kv = [...settingsLines, ...Object.entries(env)].map(([k, v]) => `| ${k} | ${v} |`).join('\n');
  appendFileSync(
    RESULTS,
    `\n### ${date} — alerts${opts.split ? " (split: api + worker)" : ""}${opts.note ? `: ${opts.note}` : ''}\n\n` +
      `\`npm run bench:alerts -- ${opts.split ? '--split ' : ''}--runs ${opts.runs} --samples ${opts.samples} --window-samples ${opts.windowSamples} --background ${opts.background} --evaluate-every ${opts.evaluateEvery} --dispatch-every ${opts.dispatchEvery}\`: ` +
      `latency from just before \`POST /v1/events\` of the event that should alert (for window rules: the one that crosses the threshold, ` +
      `after the group's earlier events) to the tenant's loopback webhook receiving the matching \`alert.firing\` (each sample a fresh tenant).\n\n` +
      `${summaryTable}\n\n${runTable}\n\n| | |\n| --- | --- |\n${kv}\n\n${verdicts.join('. ')}.\n`,
  );
  console.log(`\nappended to ${RESULTS}`);
}
process.exit(results.some((r) => [...r.missed.values()].some((n) => n > 0)) ? 1 : 0);
