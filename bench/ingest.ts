// Ingest throughput of POST /v1/events end to end into the embedded store, as a ratio to
// the raw insert rate of the same rows straight into the engine, in the same run
// (DESIGN.md §14). Results are appended to bench/RESULTS.md.
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { generateEvents } from './events.js';
import { runEndToEnd, runRawEngine, toRowBuffers } from './phases.js';
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
  .parse()
  .opts<{ events: number; batch: number; concurrency: number; note?: string; write: boolean; profile?: string }>();

// Times start at midnight UTC three days ago: all in the past, same layout every run of a day.
const day = 24 * 3600 * 1000;
const baseMs = Math.floor(Date.now() / day) * day - 3 * day;

process.stderr.write(`building ${opts.events} events in ${Math.ceil(opts.events / opts.batch)} request bodies…\n`);
const bodies: { body: Buffer; events: number }[] = [];
for (let from = 0; from < opts.events; from += opts.batch) {
  const to = Math.min(opts.events, from + opts.batch);
  bodies.push({ body: Buffer.from(JSON.stringify(generateEvents(from, to, opts.events, baseMs))), events: to - from });
}

// The service reads its batching knobs from the environment like in production (SYNCWATCH_BATCH_ROWS, …).
const serviceEnv = Object.fromEntries(Object.entries(process.env).filter(([k, v]) => k.startsWith('SYNCWATCH_') && v !== undefined)) as Record<string, string>;
const profiler = opts.profile ? await startProfile() : null;
const a = await runEndToEnd(bodies, opts.concurrency, serviceEnv);
if (profiler && opts.profile) await profiler.stop(opts.profile);

const buffers = toRowBuffers(bodies, a.rules, RAW_ROWS_PER_INSERT);
bodies.length = 0;
const b = await runRawEngine(buffers);

const env = await describeEnvironment(embeddedEngineVersion);
const lines = summarise(a, b, { batch: opts.batch, concurrency: opts.concurrency, batchRows: serviceEnv.SYNCWATCH_BATCH_ROWS ?? 'default', role: serviceEnv.SYNCWATCH_ROLE ?? 'all' });
const width = Math.max(...[...lines, ...Object.entries(env)].map(([k]) => k.length));
for (const [k, v] of [...lines, ...Object.entries(env), ['date', new Date().toISOString()]]) console.log(`${k.padEnd(width)}  ${v}`);
if (opts.write) {
  appendResults(RESULTS, env, lines, opts.note);
  console.log(`\nappended to ${RESULTS}`);
}
