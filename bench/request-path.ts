// JS cost per event of the /v1/events request path without HTTP or the store: body parse
// (with the depth check), validation + classification + row building, and the spool line
// encoding — what the HTTP thread spends per accepted event besides the insert. With
// `--base <git ref>` the same stages of that commit's src/ run on the same bodies,
// alternating round by round in one process, so a change is measured against its base
// under the same load (the machine is shared; only same-run ratios mean much).
//
//   npx tsx bench/request-path.ts --base HEAD~1
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { loadClassifier } from '../src/ingest/index.js';
import { generateEvents } from './events.js';
import { positiveInt } from './report.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

const opts = new Command('bench:request-path')
  .description('JS CPU per event of parse → rows → spool line, optionally against a base commit')
  .option('--events <n>', 'events per round', positiveInt, 200_000)
  .option('--batch <n>', 'events per request body', positiveInt, 5_000)
  .option('--rounds <n>', 'rounds per variant (alternating)', positiveInt, 6)
  .option('--base <ref>', 'also run the src/ of this git ref (e.g. HEAD~1, main)')
  .parse()
  .opts<{ events: number; batch: number; rounds: number; base?: string }>();

type Stages = {
  parseEventsBody: (body: Buffer, contentType: string) => unknown[];
  toEventRows: (items: unknown[], rules: never, scope: null, now: number) => { rows: object[]; newIds: number[] };
  encodeBatch: (input: { events: object[]; spans: never[]; newIds?: ReadonlySet<object> }) => { line: Buffer };
};

async function load(srcDir: string): Promise<Stages> {
  const body = await import(path.join(srcDir, 'ingest/body.ts'));
  const events = await import(path.join(srcDir, 'ingest/events.ts'));
  const spool = await import(path.join(srcDir, 'ingest/spool.ts'));
  return { parseEventsBody: body.parseEventsBody, toEventRows: events.toEventRows, encodeBatch: spool.encodeBatch };
}

/** The base's src/, exported under .tmp/ (inside the repository, so node_modules resolve). */
function exportBase(ref: string): string {
  const dir = path.join(ROOT, '.tmp', `request-path-base`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  execFileSync('sh', ['-c', `git archive ${JSON.stringify(ref)} src | tar -x -C ${JSON.stringify(dir)}`], { cwd: ROOT });
  return path.join(dir, 'src');
}

const day = 24 * 3600 * 1000;
const baseMs = Math.floor(Date.now() / day) * day - 3 * day;
const bodies: Buffer[] = [];
for (let from = 0; from < opts.events; from += opts.batch) bodies.push(Buffer.from(JSON.stringify(generateEvents(from, Math.min(opts.events, from + opts.batch), opts.events, baseMs))));
const rules = loadClassifier(path.join(ROOT, 'alert-rules')) as never;

const variants: [string, Stages][] = [['current', await load(path.join(ROOT, 'src'))]];
if (opts.base) variants.push([`base ${opts.base}`, await load(exportBase(opts.base))]);

/** One round: every body through the three stages; wall ms per stage and CPU µs per event. */
function round(s: Stages) {
  const ms = { parse: 0, rows: 0, encode: 0 };
  const cpu0 = process.cpuUsage();
  for (const body of bodies) {
    let t = performance.now();
    const items = s.parseEventsBody(body, 'application/json');
    ms.parse += performance.now() - t;
    t = performance.now();
    const { rows, newIds } = s.toEventRows(items, rules, null, baseMs + 4 * day);
    if (rows.length !== items.length) throw new Error('rows were refused: the bench bodies must be valid');
    ms.rows += performance.now() - t;
    t = performance.now();
    s.encodeBatch({ events: rows, spans: [], newIds: new Set(newIds.map((i) => rows[i])) });
    ms.encode += performance.now() - t;
  }
  const cpu = process.cpuUsage(cpu0);
  const perEvent = (x: number) => (x * 1000) / opts.events;
  return { parse: perEvent(ms.parse), rows: perEvent(ms.rows), encode: perEvent(ms.encode), cpu: (cpu.user + cpu.system) / opts.events };
}

const results = new Map<string, ReturnType<typeof round>[]>(variants.map(([name]) => [name, []]));
round(variants[0][1]); // warm-up
if (variants[1]) round(variants[1][1]);
for (let r = 0; r < opts.rounds; r++) {
  for (const [name, stages] of r % 2 ? [...variants].reverse() : variants) results.get(name)!.push(round(stages));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`${opts.events} events in bodies of ${opts.batch}, ${opts.rounds} rounds per variant, alternating; medians, µs per event`);
for (const [name, rs] of results) {
  const col = (k: keyof (typeof rs)[number]) => median(rs.map((x) => x[k])).toFixed(2);
  console.log(`${name.padEnd(16)} parse ${col('parse')}  rows ${col('rows')}  encode ${col('encode')}  process CPU ${col('cpu')} (rounds: ${rs.map((x) => x.cpu.toFixed(2)).join(', ')})`);
}
if (opts.base) {
  const [cur, base] = [...results.values()].map((rs) => median(rs.map((x) => x.cpu)));
  console.log(`current / base process CPU per event: ${(cur / base).toFixed(3)}`);
}
