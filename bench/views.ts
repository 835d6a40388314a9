// Insert cost of each materialised view on `events`: the same N synthetic rows inserted
// into `events` of a fresh, fully migrated embedded store with every view attached, and
// right after with one view detached, a few rounds per view; a view's cost is the median
// difference (its marginal cost: what dropping it would save). chDB has no system.query_views_log, so this is
// measured, not read from the engine. The rows come from a staging table inside the
// engine (INSERT … SELECT), so neither JS nor the input format's parsing is in the figure;
// every insert gets new event ids, so the deduplication windows (migration 025) hash
// and keep every block, as in production. Appends to bench/RESULTS.md.
//
// With --scheduled, each view's query is also run as one batch over the same rows into a copy
// of its target (what a scheduled rollup would run instead of the view): whether moving
// rollups off the insert path would lower the CPU the rows need, or only move it.
//
//   tsx bench/views.ts --events 300000 --rounds 2 [--scheduled] [--until 59] [--note "..."] [--no-write]
// --until N migrates only up to version N: the same figures for the schema before a change.
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { EmbeddedDriver, migrate, readMigrations } from '../src/store/index.js';
import { describeEnvironment, positiveInt } from './report.js';

const RESULTS = fileURLToPath(new URL('./RESULTS.md', import.meta.url));
const RUN_LEN = 52;

const opts = new Command('bench:views')
  .description('insert cost per materialised view on events')
  .option('--events <n>', 'rows per insert', positiveInt, 300_000)
  .option('--rounds <n>', 'inserts per configuration (the median is kept)', positiveInt, 2)
  .option('--until <version>', 'apply migrations up to this version only (the schema before a change)', positiveInt)
  .option('--scheduled', 'also time each view\'s query as one batch over the rows (a scheduled rollup)')
  .option('--note <text>', 'label for the RESULTS.md section')
  .option('--no-write', 'print only; do not append to bench/RESULTS.md')
  .parse()
  .opts<{ events: number; rounds: number; scheduled?: boolean; until?: number; note?: string; write: boolean }>();

const loadStart = os.loadavg();
const dir = mkdtempSync(path.join(os.tmpdir(), 'syncwatch-bench-views-'));
const driver = new EmbeddedDriver(path.join(dir, 'clickhouse'));

// Runs of RUN_LEN events (run.started, records, run.succeeded|failed) over 30 days, 20
// tenants × 4 integrations × 2 flows, ~5 % of records failed and ~3 % skipped — the
// shape of bench/queries.ts.
const SOURCE = `
INSERT INTO bench_src (event_id, type, ts, received_at, tenant, integration, connection, flow, run, record_id,
  record_type, record_value, has_value, currency, failure_category, failure_code, message, http_status, records_total, duration_ms, source)
SELECT concat('e-', toString(number)) AS event_id,
  multiIf(pos = 0, 'run.started', pos = ${RUN_LEN - 1}, if(cityHash64(k, 2) % 100 < 8, 'run.failed', 'run.succeeded'),
          r < 0.05, 'record.failed', r < 0.08, 'record.skipped', 'record.synced') AS type,
  now64(3) - toIntervalMillisecond(intDiv((${opts.events} - number) * 30 * 86400000, ${opts.events})) AS ts,
  ts + toIntervalMillisecond(200) AS received_at,
  concat('t', leftPad(toString(k % 20), 2, '0')) AS tenant,
  ['salesforce', 'quickbooks', 'hubspot', 'netsuite'][intDiv(k, 20) % 4 + 1] AS integration,
  concat(tenant, '-', integration) AS connection,
  ['orders.export', 'contacts.import'][intDiv(k, 80) % 2 + 1] AS flow,
  concat('run-', toString(k)) AS run,
  if(type LIKE 'record.%', concat('SO-', toString(cityHash64(k % 160, pos) % 20000)), '') AS record_id,
  if(type LIKE 'record.%', 'order', '') AS record_type,
  if(type LIKE 'record.%', round((cityHash64(number, 5) % 500000) / 100, 2), 0) AS record_value,
  if(type LIKE 'record.%', 1, 0) AS has_value,
  if(has_value = 1, ['USD', 'EUR', 'GBP'][cityHash64(number, 6) % 3 + 1], '') AS currency,
  if(type IN ('record.failed', 'run.failed'), ['infra', 'endpoint', 'data'][cityHash64(number, 7) % 3 + 1], '') AS failure_category,
  if(failure_category = '', '', ['timeout', 'http_500', 'missing_field'][cityHash64(number, 8) % 3 + 1]) AS failure_code,
  if(failure_category = '', '', concat(failure_code, ': could not sync ', record_id)) AS message,
  if(failure_category = 'endpoint', 500, 0) AS http_status,
  if(type IN ('run.succeeded', 'run.failed'), ${RUN_LEN - 2}, 0) AS records_total,
  if(type IN ('run.succeeded', 'run.failed'), 7650, 0) AS duration_ms,
  'event' AS source
FROM (SELECT number, intDiv(number, ${RUN_LEN}) AS k, number % ${RUN_LEN} AS pos, (cityHash64(number, 1) % 1000) / 1000 AS r
      FROM numbers(${opts.events}))`;

const names = async (sql: string) => ((await driver.query({ name: 'bench.names', sql })) as { name: string }[]).map((r) => r.name);

let round = 0;
/** One insert of the staged rows under fresh event ids, in seconds. */
async function insertOnce(): Promise<number> {
  round += 1;
  const t0 = performance.now();
  await driver.command(`INSERT INTO events SELECT * REPLACE (concat(event_id, '-r${round}') AS event_id) FROM bench_src`);
  return (performance.now() - t0) / 1000;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
async function timed(): Promise<number> {
  const runs: number[] = [];
  for (let i = 0; i < opts.rounds; i++) runs.push(await insertOnce());
  return median(runs);
}

try {
  await migrate(driver, opts.until ? readMigrations().filter((m) => m.version <= opts.until!) : undefined);
  await driver.command('CREATE TABLE bench_src AS events ENGINE = MergeTree ORDER BY tuple()');
  await driver.command(SOURCE);
  const views = await names(`SELECT name FROM system.tables WHERE database = currentDatabase() AND engine = 'MaterializedView' ORDER BY name`);
  await insertOnce(); // warm-up: first parts, caches
  // Each view: rounds of (all views, without it) back to back, and the median of the
  // paired differences, so a change in the machine's load between configurations
  // (other processes on the same cores) cancels out rather than landing on one view.
  const rows: { view: string; cost: number }[] = [];
  const alls: number[] = [];
  for (const view of views) {
    const diffs: number[] = [];
    for (let i = 0; i < opts.rounds; i++) {
      const all = await insertOnce();
      await driver.command(`DETACH TABLE ${view}`);
      try {
        diffs.push(all - (await insertOnce()));
      } finally {
        await driver.command(`ATTACH TABLE ${view}`);
      }
      alls.push(all);
    }
    rows.push({ view, cost: median(diffs) });
  }
  for (const view of views) await driver.command(`DETACH TABLE ${view}`);
  const bare = await timed();
  for (const view of views) await driver.command(`ATTACH TABLE ${view}`);
  // A scheduled rollup's cost: the view's query over the staged rows, as one batch, into a copy of its target.
  const scheduled = new Map<string, number>();
  if (opts.scheduled) {
    const defs = (await driver.query({
      name: 'bench.view_defs',
      sql: `SELECT name, as_select, extract(create_table_query, ' TO ([^ ]+) ') AS target FROM system.tables WHERE database = currentDatabase() AND engine = 'MaterializedView'`,
    })) as { name: string; as_select: string; target: string }[];
    for (const d of defs) {
      const copy = `bench_sched_${d.name}`;
      const select = d.as_select.replace(/\bFROM\s+(?:[`\w]+\.)?`?events`?(?=\s|$)/g, 'FROM bench_src');
      const runs: number[] = [];
      for (let i = 0; i < opts.rounds; i++) {
        await driver.command(`CREATE TABLE ${copy} AS ${d.target}`);
        const t0 = performance.now();
        await driver.command(`INSERT INTO ${copy} ${select}`);
        runs.push((performance.now() - t0) / 1000);
        await driver.command(`DROP TABLE ${copy} SYNC`);
      }
      scheduled.set(d.name, median(runs));
    }
  }
  const withAll = median(alls);

  const perMillion = (s: number) => ((s * 1_000_000) / opts.events).toFixed(2);
  const table = opts.scheduled
    ? [
        '| view | s per 1 M rows as a view (all views − without it) | s per 1 M rows as one batch (scheduled) |',
        '| --- | ---: | ---: |',
        ...rows.sort((a, b) => b.cost - a.cost).map((r) => `| ${r.view} | ${perMillion(r.cost)} | ${perMillion(scheduled.get(r.view) ?? NaN)} |`),
        `| **sum** | ${perMillion(rows.reduce((t, r) => t + r.cost, 0))} | ${perMillion([...scheduled.values()].reduce((t, x) => t + x, 0))} |`,
      ]
    : [
        '| view | s per 1 M rows (median of paired differences: all views − without it) |',
        '| --- | ---: |',
        ...rows.sort((a, b) => b.cost - a.cost).map((r) => `| ${r.view} | ${perMillion(r.cost)} |`),
      ];
  const summary = [
    `${opts.events.toLocaleString('en-US')} rows per insert, median of ${opts.rounds}; ${views.length} views.`,
    `All views: ${perMillion(withAll)} s per 1 M rows (median of ${alls.length} inserts), no views: ${perMillion(bare)} s per 1 M rows; the views together cost ${perMillion(withAll - bare)} s.`,
  ];
  const text = [...summary, '', ...table].join('\n');
  process.stdout.write(text + '\n');
  if (opts.write) {
    const when = new Date().toISOString().slice(0, 16).replace('T', ' ');
    const env = await describeEnvironment(async () => {
      const [{ v }] = (await driver.query({ name: 'bench.version', sql: 'SELECT version() AS v' })) as { v: string }[];
      return v;
    });
    const envText = Object.entries(env).map(([k, v]) => `${k}: ${v}`).join('; ') + '.';
    appendFileSync(
      RESULTS,
      `\n### ${when} UTC — views: insert cost per materialised view${opts.note ? ` (${opts.note})` : ''}\n\n` +
        `Command: \`npx tsx bench/views.ts --events ${opts.events} --rounds ${opts.rounds}${opts.scheduled ? ' --scheduled' : ''}${opts.until ? ` --until ${opts.until}` : ''}\`. ${envText} ` +
        `Load average at start ${loadStart.map((x) => x.toFixed(1)).join(' / ')}, at end ${os.loadavg().map((x) => x.toFixed(1)).join(' / ')}. ` +
        `A view's figure is its marginal cost (noisy on a shared machine: differences under ~0.3 s are within the noise).\n\n${text}\n`,
    );
  }
} finally {
  await driver.close();
  rmSync(dir, { recursive: true, force: true });
}
