// How the embedded engine's `events` insert (all materialised views) costs by payload
// format and insert settings, on the same rows, each variant into a fresh store, the
// variants alternating over rounds. Usage:
//   npx tsx bench/insert-formats.ts --events 200000 --rows-per-insert 50000 --rounds 2
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { Command } from 'commander';
import { drainPending, Session } from 'chdb';
import { loadClassifier } from '../src/ingest/index.js';
import { toEventRows } from '../src/ingest/events.js';
import { EmbeddedDriver, migrate, type EventRow } from '../src/store/index.js';
import { StagedInserts } from '../src/store/staged-insert.js';
import { EVENTS_STRUCTURE, RowBinaryWriter, writeEventRow } from './rowbinary.js';
import { generateEvents } from './events.js';
import { positiveInt } from './report.js';

const opts = new Command('bench:insert-formats')
  .option('--events <n>', 'rows', positiveInt, 200_000)
  .option('--rows-per-insert <n>', 'rows per insert', positiveInt, 50_000)
  .option('--rounds <n>', 'rounds of all variants', positiveInt, 2)
  .option('--only <names>', 'comma-separated variant names')
  .parse()
  .opts<{ events: number; rowsPerInsert: number; rounds: number; only?: string }>();

const rules = loadClassifier(fileURLToPath(new URL('../alert-rules/', import.meta.url)));
const day = 24 * 3600 * 1000;
const baseMs = Math.floor(Date.now() / day) * day - 3 * day;
const chunks: EventRow[][] = [];
for (let from = 0; from < opts.events; from += opts.rowsPerInsert) {
  const to = Math.min(opts.events, from + opts.rowsPerInsert);
  const { rows } = toEventRows(JSON.parse(JSON.stringify(generateEvents(from, to, opts.events, baseMs))) as unknown[], rules, null, Date.now());
  chunks.push(rows);
}
const jsonBuffers = chunks.map((rows) => Buffer.from(rows.map((r) => JSON.stringify(r)).join('\n') + '\n'));

type Variant = { name: string; run(s: Session, dir: string): Promise<{ jsMs: number; seconds?: number; cpuMicros?: number }> };
const json = (name: string, settings?: Record<string, string | number>): Variant => ({
  name,
  async run(s) {
    for (const values of jsonBuffers) await s.insert({ table: 'events', values, format: 'JSONEachRow', ...(settings ? { settings } : {}) });
    return { jsMs: 0 };
  },
});
const fileInsert = (name: string, encode: (i: number) => { bytes: Buffer; format: string; structure?: string }, settings = ''): Variant => ({
  name,
  async run(s, dir) {
    let jsMs = 0;
    for (let i = 0; i < chunks.length; i++) {
      const t0 = performance.now();
      const { bytes, format, structure } = encode(i);
      const file = path.join(dir, `in-${i}`);
      writeFileSync(file, bytes);
      jsMs += performance.now() - t0;
      const struct = structure ? `, '${structure}'` : '';
      await s.queryAsync(`INSERT INTO events SELECT * FROM file('${file}', '${format}'${struct})${settings}`);
      rmSync(file);
    }
    return { jsMs };
  },
});
const rowBinary = (i: number) => {
  const w = new RowBinaryWriter(16 << 20);
  for (const r of chunks[i]) writeEventRow(w, r);
  return { bytes: Buffer.from(w.bytes()), format: 'RowBinary', structure: EVENTS_STRUCTURE };
};

/** Today's path for events: the store's own staged insert (src/store/staged-insert.ts) on this session. */
const staged: Variant = {
  name: 'staged: INFILE -> memory copy -> INSERT SELECT',
  async run(s, dir) {
    const inserts = new StagedInserts(dir, (sql) => s.queryAsync(sql));
    for (const values of jsonBuffers) await inserts.insert('events', values);
    return { jsMs: 0 };
  },
};
/** The same rows as Native files made by the engine beforehand (not timed): what a binary payload could reach. */
const native: Variant = {
  name: 'file Native (made beforehand)',
  async run(s, dir) {
    await s.queryAsync('CREATE TEMPORARY TABLE native_src AS events');
    const files: string[] = [];
    for (const [i, values] of jsonBuffers.entries()) {
      await s.insert({ table: 'native_src', values, format: 'JSONEachRow' });
      files.push(path.join(dir, `native-${i}`));
      await s.queryAsync(`INSERT INTO FUNCTION file('${files[i]}', 'Native') SELECT * FROM native_src`);
      await s.queryAsync('TRUNCATE TABLE native_src');
    }
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    for (const file of files) await s.queryAsync(`INSERT INTO events SELECT * FROM file('${file}', 'Native')`);
    const cpu = process.cpuUsage(c0);
    return { jsMs: 0, seconds: (performance.now() - t0) / 1000, cpuMicros: cpu.user + cpu.system };
  },
};

const variants: Variant[] = [
  json('json'),
  staged,
  native,
  json('json parallel_parsing=0', { input_format_parallel_parsing: 0 }),
  json('json date_time_input_format=basic', { date_time_input_format: 'basic' }),
  json('json insert_deduplicate=0', { insert_deduplicate: 0 }),
  json('json min_insert_block 1M rows', { min_insert_block_size_rows: 1_000_000, min_insert_block_size_bytes: 1 << 30, max_insert_block_size: 1_000_000 }),
  fileInsert('file JSONEachRow', (i) => ({ bytes: jsonBuffers[i], format: 'JSONEachRow' })),
  fileInsert('file RowBinary (JS encode)', rowBinary),
  fileInsert('file RowBinary insert_deduplicate=0', rowBinary, ' SETTINGS insert_deduplicate = 0'),
].filter((v) => !opts.only || opts.only.split(',').includes(v.name));

async function fresh(): Promise<{ s: Session; dir: string; close(): Promise<void> }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'syncwatch-bench-fmt-'));
  const driver = new EmbeddedDriver(dir);
  await migrate(driver);
  await driver.close();
  await drainPending();
  const s = new Session(dir);
  for (const n of ['compile_expressions', 'compile_aggregate_expressions', 'compile_sort_description', 'async_insert']) await s.queryAsync(`SET ${n} = 0`);
  for (const n of ['insert_deduplicate', 'deduplicate_blocks_in_dependent_materialized_views']) await s.queryAsync(`SET ${n} = 1`);
  return { s, dir, close: async () => { s.close(); await drainPending(); rmSync(dir, { recursive: true, force: true }); } };
}

const results = new Map<string, number[]>();
const cpuPerRows = new Map<string, number[]>();
for (let round = 0; round < opts.rounds; round++) {
  for (const v of variants) {
    const { s, dir, close } = await fresh();
    try {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      const ran = await v.run(s, dir);
      const { jsMs } = ran;
      const seconds = ran.seconds ?? (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(c0);
      const n = Number((await s.queryAsync('SELECT count() FROM events', { format: 'TSV' })).text().trim());
      if (n !== opts.events) throw new Error(`${v.name}: ${n} rows stored, expected ${opts.events}`);
      const rate = opts.events / seconds;
      results.set(v.name, [...(results.get(v.name) ?? []), rate]);
      // CPU of the whole process (the engine's threads included), of the timed part only.
      const cpuPerRow = (ran.cpuMicros ?? cpu.user + cpu.system) / opts.events;
      cpuPerRows.set(v.name, [...(cpuPerRows.get(v.name) ?? []), cpuPerRow]);
      console.log(`round ${round + 1}  ${v.name.padEnd(46)} ${Math.round(rate)} rows/s (${seconds.toFixed(2)} s, CPU ${cpuPerRow.toFixed(1)} µs per row, JS encode+write ${(jsMs / 1000).toFixed(2)} s)`);
    } finally {
      await close();
    }
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log('\nmedian rows/s and CPU µs per row (all views), same rows, fresh store per run:');
for (const [name, rates] of results) {
  const cpu = cpuPerRows.get(name) ?? [];
  console.log(`  ${name.padEnd(46)} ${Math.round(median(rates))} rows/s (${rates.map((r) => Math.round(r)).join(', ')}); CPU ${median(cpu).toFixed(1)} µs per row (${cpu.map((c) => c.toFixed(1)).join(', ')})`);
}
