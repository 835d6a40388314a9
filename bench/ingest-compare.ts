// Phase A of bench/ingest (POST /v1/events end to end into the embedded store) for this
// tree and a base commit, one process per run, alternating, on the same generated events:
// rows/s and process CPU per event (all threads, the engine's included). For changes whose
// effect is smaller than the run-to-run noise of a shared machine.
//
//   npx tsx bench/ingest-compare.ts --base main --events 600000 --pairs 2
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { positiveInt } from './report.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BATCH = 5_000;

const opts = new Command('bench:ingest-compare')
  .description('phase A of bench/ingest, this tree vs a base commit, alternating')
  .option('--base <ref>', 'git ref to compare with', 'main')
  .option('--events <n>', 'events per run (past 200 000 the de-dup window is full)', positiveInt, 600_000)
  .option('--pairs <n>', 'runs of each, alternating', positiveInt, 2)
  .option('--run-tree <dir>', 'internal: run phase A of this tree once and print its figures as JSON')
  .parse()
  .opts<{ base: string; events: number; pairs: number; runTree?: string }>();

interface Figures {
  rowsPerSecond: number;
  cpuMicrosPerEvent: number;
  peakRssMiB: number;
}

async function runTree(root: string, total: number): Promise<Figures> {
  const { generateEvents } = await import(path.join(root, 'bench/events.ts'));
  const { runEndToEnd } = await import(path.join(root, 'bench/phases.ts'));
  const day = 24 * 3600 * 1000;
  const baseMs = Math.floor(Date.now() / day) * day - 3 * day;
  const bodies: { body: Buffer; events: number }[] = [];
  for (let from = 0; from < total; from += BATCH) {
    const to = Math.min(total, from + BATCH);
    bodies.push({ body: Buffer.from(JSON.stringify(generateEvents(from, to, total, baseMs))), events: to - from });
  }
  const a = await runEndToEnd(bodies, 4, {});
  return { rowsPerSecond: a.rows / a.seconds, cpuMicrosPerEvent: (a.cpuSeconds * 1e6) / a.rows, peakRssMiB: a.peakRssBytes / 2 ** 20 };
}

if (opts.runTree) {
  console.log(`FIGURES ${JSON.stringify(await runTree(opts.runTree, opts.events))}`);
  process.exit(0);
}

// The base tree under .tmp/ (inside the repository, so node_modules resolve from it).
const baseDir = path.join(ROOT, '.tmp', 'ingest-compare-base');
rmSync(baseDir, { recursive: true, force: true });
mkdirSync(baseDir, { recursive: true });
execFileSync('sh', ['-c', `git archive ${JSON.stringify(opts.base)} | tar -x -C ${JSON.stringify(baseDir)}`], { cwd: ROOT });

const trees: [string, string][] = [
  ['current', ROOT],
  [`base ${opts.base}`, baseDir],
];
const runs = new Map<string, Figures[]>(trees.map(([name]) => [name, []]));
for (let pair = 0; pair < opts.pairs; pair++) {
  for (const [name, dir] of pair % 2 ? [...trees].reverse() : trees) {
    const out = execFileSync('npx', ['tsx', fileURLToPath(import.meta.url), '--run-tree', dir, '--events', String(opts.events)], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const figures = JSON.parse(/^FIGURES (.*)$/m.exec(out)![1]) as Figures;
    runs.get(name)!.push(figures);
    console.log(`${name}: ${figures.rowsPerSecond.toFixed(0)} rows/s, ${figures.cpuMicrosPerEvent.toFixed(1)} µs CPU per event, peak RSS ${figures.peakRssMiB.toFixed(0)} MiB`);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const [name, rs] of runs) {
  console.log(`${name.padEnd(16)} median ${median(rs.map((r) => r.rowsPerSecond)).toFixed(0)} rows/s, ${median(rs.map((r) => r.cpuMicrosPerEvent)).toFixed(1)} µs CPU per event (${opts.events} events, ${rs.length} runs)`);
}
