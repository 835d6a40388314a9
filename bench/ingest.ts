// Ingest throughput of POST /v1/events end to end into the embedded store (A), as ratios,
// in the same run on the same rows, to B — a raw JSONEachRow insert into the same schema
// (views and all) — and to C — the engine's ceiling, a Native insert into a bare `events`
// without views. Results are appended to bench/RESULTS.md.
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import { loadCorpus } from '../test/support/classification-corpus.js';
import { generateEvents, type ErrorMix } from './events.js';
import { runEndToEnd, runEngineCeiling, runRawEngine, toRowBuffers } from './phases.js';
import { startProfile } from './profile.js';
import { appendResults, describeEnvironment, embeddedEngineVersion, summarise, positiveInt } from './report.js';

const RAW_ROWS_PER_INSERT = 20_000;
const RESULTS = fileURLToPath(new URL('./RESULTS.md', import.meta.url));

const opts = new Command('bench:ingest')
  .description('POST /v1/events end to end vs raw chdb inserts of the same rows')
  .option('--events <n>', 'events to send', positiveInt, 1_000_000)
  .option('--batch <n>', 'events per request', positiveInt, 5_000)
  .option('--concurrency <n>', 'requests in flight', positiveInt, 4)
  .option('--note <text>', 'label for the RESULTS.md section (what changed)')
  .option('--no-write', 'print only; do not append to bench/RESULTS.md')
  .option('--profile <file>', 'write a CPU profile of phase A (the service and the client) to this .cpuprofile file')
  .addOption(new Option('--errors <mix>', 'what failures carry: a fixed few shapes, or the classification corpus with every message unique (no classifier cache hits)').choices(['fixed', 'corpus']).default('fixed'))
  .option('--compare-classification <rounds>', 'also run phase A with no classification rules, alternating with the shipped rules this many times (A_rules / A_none)', positiveInt)
  .parse()
  .opts<{ events: number; batch: number; concurrency: number; note?: string; write: boolean; profile?: string; errors: 'fixed' | 'corpus'; compareClassification?: number }>();

/** The corpus's error shapes as the error objects runners send on record.failed. */
function corpusMix(): ErrorMix {
  const errors = loadCorpus().map(({ signals: s }) => ({
    ...(s.message !== undefined ? { message: s.message } : {}),
    ...(s.httpStatus !== undefined ? { http_status: s.httpStatus } : {}),
    ...(s.code !== undefined ? { code: s.code } : {}),
    ...(s.errorType !== undefined ? { type: s.errorType } : {}),
  }));
  return { errors, unique: true };
}

/** A copy of alert-rules/ whose classification rules are empty (every failure falls to the built-in default). */
function rulesWithoutClassification(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'syncwatch-bench-rules-'));
  cpSync(fileURLToPath(new URL('../alert-rules/', import.meta.url)), dir, { recursive: true });
  writeFileSync(path.join(dir, 'classification.yaml'), 'rules: []\n');
  // An empty vendors folder (a missing one would fall back to the shipped vendor files).
  rmSync(path.join(dir, 'vendors'), { recursive: true, force: true });
  mkdirSync(path.join(dir, 'vendors'));
  return dir;
}

// Times start at midnight UTC three days ago: all in the past, same layout every run of a day.
const day = 24 * 3600 * 1000;
const baseMs = Math.floor(Date.now() / day) * day - 3 * day;

const mix = opts.errors === 'corpus' ? corpusMix() : undefined;
process.stderr.write(`building ${opts.events} events in ${Math.ceil(opts.events / opts.batch)} request bodies…\n`);
const bodies: { body: Buffer; events: number }[] = [];
for (let from = 0; from < opts.events; from += opts.batch) {
  const to = Math.min(opts.events, from + opts.batch);
  bodies.push({ body: Buffer.from(JSON.stringify(generateEvents(from, to, opts.events, baseMs, mix))), events: to - from });
}

// The service reads its batching knobs from the environment like in production (SYNCWATCH_BATCH_ROWS, …).
const serviceEnv = Object.fromEntries(Object.entries(process.env).filter(([k, v]) => k.startsWith('SYNCWATCH_') && v !== undefined)) as Record<string, string>;
const profiler = opts.profile ? await startProfile() : null;
const a = await runEndToEnd(bodies, opts.concurrency, serviceEnv);
if (profiler && opts.profile) await profiler.stop(opts.profile);

// Classification's share of the hot path: the same bodies with and without rules, alternating.
const compare: [string, string][] = [];
if (opts.compareClassification) {
  const bare = rulesWithoutClassification();
  const ratios: number[] = [];
  try {
    for (let round = 0; round < opts.compareClassification; round++) {
      const none = await runEndToEnd(bodies, opts.concurrency, { ...serviceEnv, SYNCWATCH_ALERT_RULES: bare });
      const rules = await runEndToEnd(bodies, opts.concurrency, serviceEnv);
      ratios.push(none.seconds / rules.seconds);
      process.stderr.write(`round ${round + 1}: A_rules ${(rules.rows / rules.seconds).toFixed(0)} rows/s, A_none ${(none.rows / none.seconds).toFixed(0)} rows/s\n`);
    }
  } finally {
    rmSync(bare, { recursive: true, force: true });
  }
  const sorted = [...ratios].sort((x, y) => x - y);
  compare.push(['A_rules / A_none', `median ${sorted[Math.floor(sorted.length / 2)].toFixed(3)} (rounds: ${ratios.map((r) => r.toFixed(3)).join(', ')}; failures: ${opts.errors === 'corpus' ? 'corpus shapes, every message unique' : 'the fixed shapes'})`]);
}

const buffers = toRowBuffers(bodies, a.rules, RAW_ROWS_PER_INSERT);
bodies.length = 0;
const b = await runRawEngine(buffers);
const c = await runEngineCeiling(buffers);

const env = await describeEnvironment(embeddedEngineVersion);
const lines = [...summarise(a, b, c, { batch: opts.batch, concurrency: opts.concurrency, batchRows: serviceEnv.SYNCWATCH_BATCH_ROWS ?? 'default', role: serviceEnv.SYNCWATCH_ROLE ?? 'all' }), ['failures carry', opts.errors === 'corpus' ? 'classification corpus shapes, every message unique' : 'the fixed shapes'] as [string, string], ...compare];
const width = Math.max(...[...lines, ...Object.entries(env)].map(([k]) => k.length));
for (const [k, v] of [...lines, ...Object.entries(env), ['date', new Date().toISOString()]]) console.log(`${k.padEnd(width)}  ${v}`);
if (opts.write) {
  appendResults(RESULTS, env, lines, opts.note);
  console.log(`\nappended to ${RESULTS}`);
}
