// Page latency over the demo workload (issue 5: "no request over 300 ms on this machine").
// Starts syncwatch on a fresh embedded store, seeds the demo's 7 days through the public
// APIs (as `npm run demo` does), then requests every page over HTTP with the admin key,
// sequentially: one warm-up and N timed requests each. Results go to bench/RESULTS.md.
//
//   tsx bench/pages.ts [--repeat 20] [--days 7] [--note "..."] [--no-write]
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { loadConfig } from '../src/config.js';
import { runDemo } from '../src/demo/index.js';
import { describeEnvironment, positiveInt, quantile } from './report.js';

const RESULTS = fileURLToPath(new URL('./RESULTS.md', import.meta.url));
const TARGET_MS = 300;

const opts = new Command('bench:pages')
  .description('latency of the web pages over the demo workload')
  .option('--repeat <n>', 'timed requests per page (after one warm-up)', positiveInt, 20)
  .option('--days <n>', 'days of demo history', positiveInt, 7)
  .option('--note <text>', 'label for the RESULTS.md section')
  .option('--no-write', 'print only; do not append to bench/RESULTS.md')
  .parse()
  .opts<{ repeat: number; days: number; note?: string; write: boolean }>();

const loadStart = os.loadavg();
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'syncwatch-bench-pages-'));
const config = loadConfig({ PORT: '0', SYNCWATCH_GRPC_PORT: '0', HOST: '127.0.0.1', SYNCWATCH_LOG_LEVEL: 'silent', SYNCWATCH_DATA_DIR: dataDir, SYNCWATCH_ADMIN_KEY: 'bench-admin-key-0123456789' });
process.stderr.write(`seeding ${opts.days} days of demo data in ${dataDir}…\n`);
const service = await runDemo(config, { days: opts.days, out: null, progress: false });

const tenant = service.demo.statusLink?.tenant ?? 'acme';
const now = new Date();
const lastMonth = `${now.getUTCMonth() === 0 ? now.getUTCFullYear() - 1 : now.getUTCFullYear()}-${String(now.getUTCMonth() === 0 ? 12 : now.getUTCMonth()).padStart(2, '0')}`;
const runsAnswer = (await (await fetch(`${service.url}/v1/runs?tenant=${tenant}&window=7d`, { headers: { authorization: 'Bearer bench-admin-key-0123456789' } })).json()) as { runs?: { run: string }[] };
const run = runsAnswer.runs?.[0]?.run;
const retried = service.demo.retried;

const pages: [string, string][] = [
  ['operator overview `/`', '/'],
  ['operator overview, 7 days', '/?window=7d'],
  ['adoption `/adoption`', '/adoption'],
  [`status page \`/status/${tenant}\``, `/status/${encodeURIComponent(tenant)}`],
  ...(retried ? ([[`status page + record search (${retried.tenant})`, `/status/${encodeURIComponent(retried.tenant)}?record=${encodeURIComponent(retried.recordId)}`]] as [string, string][]) : []),
  ...(run ? ([['run report page', `/status/${encodeURIComponent(tenant)}/runs/${encodeURIComponent(run)}`]] as [string, string][]) : []),
  [`value report page (${lastMonth})`, `/reports/${encodeURIComponent(tenant)}?period=${lastMonth}`],
  ['value report page (last 7 days)', `/reports/${encodeURIComponent(tenant)}?from=${new Date(Date.now() - 7 * 86_400_000).toISOString()}&to=${now.toISOString()}`],
];

type Row = { name: string; first: number; median: number; p95: number; max: number; status: number };
const rows: Row[] = [];
for (const [name, p] of pages) {
  const times: number[] = [];
  let status = 0;
  let first = 0;
  for (let i = 0; i <= opts.repeat; i++) {
    const t0 = performance.now();
    const res = await fetch(`${service.url}${p}`, { headers: { authorization: 'Bearer bench-admin-key-0123456789' } });
    await res.text();
    const ms = performance.now() - t0;
    status = res.status;
    if (i > 0) times.push(ms);
    else first = ms;
  }
  times.sort((a, b) => a - b);
  const row = { name, first, median: quantile(times, 0.5), p95: quantile(times, 0.95), max: times[times.length - 1], status };
  rows.push(row);
  process.stderr.write(`${name}: HTTP ${status}, first ${first.toFixed(0)} ms, median ${row.median.toFixed(0)} ms, p95 ${row.p95.toFixed(0)} ms, max ${row.max.toFixed(0)} ms\n`);
}

const env = await describeEnvironment(async () => {
  const r = (await service.driver.query({ name: 'bench.version', sql: 'SELECT version() AS v' })) as { v: string }[];
  return String(r[0]?.v ?? 'unknown');
});
await service.close();
rmSync(dataDir, { recursive: true, force: true });

const fmtLoad = (l: number[]) => l.map((x) => x.toFixed(1)).join(' / ');
const ms = (n: number) => n.toFixed(0);
const section = [
  `\n### ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC — pages${opts.note ? `: ${opts.note}` : ''}\n`,
  `Web pages over HTTP (admin key), on a fresh embedded store seeded with the demo workload (${opts.days} days, ${service.demo.acceptedEvents.toLocaleString('en-US')} events through the public APIs). Sequential requests: the first request of each page (cold: its queries are planned and JIT-compiled for the first time in this process) is shown apart, then ${opts.repeat} timed. Target: every request under ${TARGET_MS} ms (issue 5).\n`,
  '| | |',
  '| --- | --- |',
  ...Object.entries(env).map(([k, v]) => `| ${k} | ${v} |`),
  `| load average at start | ${fmtLoad(loadStart)} |`,
  '',
  `| page | HTTP | first ms | median ms | p95 ms | max ms | all < ${TARGET_MS} ms |`,
  '| --- | ---: | ---: | ---: | ---: | ---: | --- |',
  ...rows.map((r) => `| ${r.name} | ${r.status} | ${ms(r.first)} | ${ms(r.median)} | ${ms(r.p95)} | ${ms(r.max)} | ${Math.max(r.max, r.first) < TARGET_MS ? 'yes' : '**no**'} |`),
  '',
].join('\n');
console.log(section);
if (opts.write) appendFileSync(RESULTS, section);
