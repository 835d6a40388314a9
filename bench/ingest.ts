// Ingest throughput of POST /v1/events end to end into the embedded store (A), as ratios,
// in the same run on the same rows, to B — a raw JSONEachRow insert into the same schema
// (views and all) — and to C — the engine's ceiling, a Native insert into a bare `events`
// without views. Results are appended to bench/RESULTS.md.
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import { loadCorpus } from '../test/support/classification-corpus.js';
import { classify, loadClassifier } from '../src/ingest/index.js';
import { FIXED_ERRORS, generateEvents, type ErrorMix } from './events.js';
import { runEndToEnd, runEngineCeiling, runRawEngine, toRowBuffers } from './phases.js';
import { startProfile } from './profile.js';
import { describeResponsiveness } from './responsiveness.js';
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
  .option('--compare-decode <rounds>', 'also run phase A with request decoding on the HTTP thread (SYNCWATCH_DECODE_THREADS=0) and in one decode worker (=1), alternating this many times: throughput and the HTTP thread\'s responsiveness', positiveInt)
  .option('--compare-classification <rounds>', 'also run phase A on the same failures sent with their category and code (nothing to classify), alternating this many times (A_classified / A_told)', positiveInt)
  .parse()
  .opts<{ events: number; batch: number; concurrency: number; note?: string; write: boolean; profile?: string; errors: 'fixed' | 'corpus'; compareClassification?: number; compareDecode?: number }>();

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

/**
 * The same failures with their category and code sent explicitly — what the shipped rules
 * decide for each shape and integration — so ingest skips classification and everything
 * downstream (rollups, alerts) sees the very same categories. The difference is the cost
 * of classifying.
 */
function told(base: ErrorMix): ErrorMix {
  const rules = loadClassifier(fileURLToPath(new URL('../alert-rules/', import.meta.url)));
  const decided = new Map<string, { category: string; code: string }>();
  const explicit = (error: Record<string, unknown>, integration: string) => {
    const key = `${base.errors.indexOf(error)}\u0000${integration}`;
    let d = decided.get(key);
    if (!d) {
      const c = classify({ integration, message: error.message as string | undefined, httpStatus: error.http_status as number | undefined, code: error.code as string | undefined, errorType: error.type as string | undefined }, rules);
      decided.set(key, (d = { category: c.category, code: c.code }));
    }
    return d;
  };
  return { ...base, explicit };
}

// Times start at midnight UTC three days ago: all in the past, same layout every run of a day.
const day = 24 * 3600 * 1000;
const baseMs = Math.floor(Date.now() / day) * day - 3 * day;

const mix: ErrorMix = opts.errors === 'corpus' ? corpusMix() : FIXED_ERRORS;
const build = (m: ErrorMix) => {
  const out: { body: Buffer; events: number }[] = [];
  for (let from = 0; from < opts.events; from += opts.batch) {
    const to = Math.min(opts.events, from + opts.batch);
    out.push({ body: Buffer.from(JSON.stringify(generateEvents(from, to, opts.events, baseMs, m))), events: to - from });
  }
  return out;
};
process.stderr.write(`building ${opts.events} events in ${Math.ceil(opts.events / opts.batch)} request bodies…\n`);
const bodies = build(mix);

// The service reads its batching knobs from the environment like in production (SYNCWATCH_BATCH_ROWS, …).
const serviceEnv = Object.fromEntries(Object.entries(process.env).filter(([k, v]) => k.startsWith('SYNCWATCH_') && v !== undefined)) as Record<string, string>;
const profiler = opts.profile ? await startProfile() : null;
const a = await runEndToEnd(bodies, opts.concurrency, serviceEnv);
if (profiler && opts.profile) await profiler.stop(opts.profile);

// Classification's share of the hot path: the same bodies with and without rules, alternating.
const compare: [string, string][] = [];
if (opts.compareClassification) {
  const toldBodies = build(told(mix));
  const ratios: number[] = [];
  const cpuRatios: number[] = [];
  {
    for (let round = 0; round < opts.compareClassification; round++) {
      const none = await runEndToEnd(toldBodies, opts.concurrency, serviceEnv);
      const rules = await runEndToEnd(bodies, opts.concurrency, serviceEnv);
      ratios.push(none.seconds / rules.seconds);
      cpuRatios.push(none.cpuSeconds / rules.cpuSeconds);
      process.stderr.write(`round ${round + 1}: A_classified ${(rules.rows / rules.seconds).toFixed(0)} rows/s (${rules.cpuSeconds.toFixed(1)} CPU s), A_told ${(none.rows / none.seconds).toFixed(0)} rows/s (${none.cpuSeconds.toFixed(1)} CPU s)\n`);
    }
  }
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  const rounds = (xs: number[]) => xs.map((r) => r.toFixed(3)).join(', ');
  compare.push(['A_classified / A_told (throughput)', `median ${median(ratios).toFixed(3)} (rounds: ${rounds(ratios)})`]);
  compare.push(['A_classified / A_told (CPU per row, inverted)', `median ${median(cpuRatios).toFixed(3)} (rounds: ${rounds(cpuRatios)}; CPU time is steadier than wall time on a shared machine)`]);
}

// Decoding on the HTTP thread vs in a decode worker: same bodies, alternating.
if (opts.compareDecode) {
  const runs: Record<string, { rate: number; cpu: number; loopP99: number; healthzP99: number }[]> = { '0': [], '1': [] };
  for (let round = 0; round < opts.compareDecode; round++) {
    for (const threads of round % 2 ? ['1', '0'] : ['0', '1']) {
      const r = await runEndToEnd(bodies, opts.concurrency, { ...serviceEnv, SYNCWATCH_DECODE_THREADS: threads });
      runs[threads].push({ rate: r.rows / r.seconds, cpu: r.cpuSeconds, loopP99: r.responsiveness.loopDelayP99Ms, healthzP99: r.responsiveness.healthzP99Ms });
      process.stderr.write(`round ${round + 1}, decode threads ${threads}: ${(r.rows / r.seconds).toFixed(0)} rows/s, ${r.cpuSeconds.toFixed(1)} CPU s; ${describeResponsiveness(r.responsiveness)}\n`);
    }
  }
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  for (const threads of ['0', '1']) {
    const rs = runs[threads];
    const list = (f: (x: (typeof rs)[number]) => number, digits = 0) => rs.map((x) => f(x).toFixed(digits)).join(', ');
    compare.push([
      `A, decode threads ${threads}${threads === '0' ? ' (on the HTTP thread)' : ''}`,
      `median ${median(rs.map((x) => x.rate)).toFixed(0)} rows/s (rounds: ${list((x) => x.rate)}); event-loop delay p99 median ${median(rs.map((x) => x.loopP99)).toFixed(0)} ms (${list((x) => x.loopP99)}); GET /healthz p99 median ${median(rs.map((x) => x.healthzP99)).toFixed(0)} ms (${list((x) => x.healthzP99)}); CPU s ${list((x) => x.cpu, 1)}`,
    ]);
  }
}

const buffers = toRowBuffers(bodies, a.rules, RAW_ROWS_PER_INSERT);
bodies.length = 0;
const b = await runRawEngine(buffers);
const c = await runEngineCeiling(buffers);

const env = await describeEnvironment(embeddedEngineVersion);
const lines = [...summarise(a, b, c, { batch: opts.batch, concurrency: opts.concurrency, batchRows: serviceEnv.SYNCWATCH_BATCH_ROWS ?? 'default', role: serviceEnv.SYNCWATCH_ROLE ?? 'all' }), ['failures carry', opts.errors === 'corpus' ? 'classification corpus shapes, every message unique' : 'the fixed shapes'] as [string, string], [`A: HTTP thread during the ingest (decode threads ${a.decodeThreads})`, describeResponsiveness(a.responsiveness)] as [string, string], ...compare];
const width = Math.max(...[...lines, ...Object.entries(env)].map(([k]) => k.length));
for (const [k, v] of [...lines, ...Object.entries(env), ['date', new Date().toISOString()]]) console.log(`${k.padEnd(width)}  ${v}`);
if (opts.write) {
  appendResults(RESULTS, env, lines, opts.note);
  console.log(`\nappended to ${RESULTS}`);
}
