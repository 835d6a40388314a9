// Which part of failure_stats_mv costs insert time: the view's SELECT, run as an
// INSERT … SELECT into copies of failure_stats that lack one aggregate each, over the
// failure rows of the bench/views workload (the view sees the same rows on insert).
// Alternating variants, median of --rounds.
//   tsx bench/failure-stats-parts.ts --events 1000000 --rounds 5
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { EmbeddedDriver, migrate } from '../src/store/index.js';
import { positiveInt } from './report.js';

const opts = new Command('bench:failure-stats-parts')
  .option('--events <n>', 'events generated (about 6 % are failures)', positiveInt, 1_000_000)
  .option('--rounds <n>', 'inserts per variant', positiveInt, 5)
  .option('--hours <n>', 'hours the events span', positiveInt, 720)
  .parse()
  .opts<{ events: number; rounds: number; hours: number }>();

const dir = mkdtempSync(path.join(os.tmpdir(), 'syncwatch-bench-fstats-'));
const driver = new EmbeddedDriver(path.join(dir, 'clickhouse'));
const KEYS = 'tenant, integration, flow, failure_category, failure_code, scope, hour';
const VARIANTS: Record<string, string> = {
  current: `count() AS failures, uniqExactState(concat(tenant, '\\0', integration, '\\0', if(record_id = '', run, record_id))) AS affected, min(ts) AS first_seen, max(ts) AS last_seen,
            groupArraySortedState(10)((-toUnixTimestamp64Milli(ts), record_id, substringUTF8(message, 1, 500), run)) AS examples`,
  'no examples': `count() AS failures, uniqExactState(concat(tenant, '\\0', integration, '\\0', if(record_id = '', run, record_id))) AS affected, min(ts) AS first_seen, max(ts) AS last_seen`,
  'no affected': `count() AS failures, min(ts) AS first_seen, max(ts) AS last_seen,
            groupArraySortedState(10)((-toUnixTimestamp64Milli(ts), record_id, substringUTF8(message, 1, 500), run)) AS examples`,
  'counts only': `count() AS failures, min(ts) AS first_seen, max(ts) AS last_seen`,
};
try {
  await migrate(driver);
  await driver.command('CREATE TABLE src AS events ENGINE = MergeTree ORDER BY tuple()');
  await driver.command(`INSERT INTO src (event_id, type, ts, tenant, integration, connection, flow, run, record_id, failure_category, failure_code, message, source)
    SELECT concat('e-', toString(number)), if(number % 52 = 51, 'run.failed', 'record.failed'),
           now64(3) - toIntervalMillisecond(intDiv(({n:UInt64} - number) * ${opts.hours} * 3600000, {n:UInt64})),
           concat('t', toString(intDiv(number, 52) % 20)), ['salesforce', 'quickbooks', 'hubspot', 'netsuite'][intDiv(number, 1040) % 4 + 1],
           'c', ['orders.export', 'contacts.import'][intDiv(number, 4160) % 2 + 1], concat('run-', toString(intDiv(number, 52))),
           if(number % 52 = 51, '', concat('SO-', toString(cityHash64(number) % 20000))),
           ['infra', 'endpoint', 'data'][cityHash64(number, 7) % 3 + 1], ['timeout', 'http_500', 'missing_field'][cityHash64(number, 8) % 3 + 1],
           concat('could not sync SO-', toString(number)), 'event'
    FROM numbers({f:UInt64})`, { n: opts.events, f: Math.round(opts.events * 0.06) });
  const times: Record<string, number[]> = {};
  for (const [name, aggs] of Object.entries(VARIANTS)) {
    const cols = aggs.split(/ AS (\w+)/).filter((_, i) => i % 2 === 1);
    await driver.command(`CREATE TABLE v_${Object.keys(times).length} AS failure_stats`);
    times[name] = [];
    void cols;
  }
  for (let r = 0; r < opts.rounds; r++) {
    let i = 0;
    for (const [name, aggs] of Object.entries(VARIANTS)) {
      const cols = [...aggs.matchAll(/ AS (\w+)/g)].map((m) => m[1]);
      const t0 = performance.now();
      await driver.command(`INSERT INTO v_${i} (${KEYS}, ${cols.join(', ')})
        SELECT tenant, integration, flow, failure_category, failure_code, if(record_id = '', 'run', 'record') AS scope, toStartOfHour(ts) AS hour, ${aggs}
        FROM src WHERE failure_category != '' GROUP BY ${KEYS}`);
      times[name].push((performance.now() - t0) / 1000);
      i++;
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
  const [{ groups }] = await driver.query<{ groups: string }>({ name: 'g', sql: 'SELECT count() AS groups FROM (SELECT DISTINCT tenant, integration, flow, failure_category, failure_code, record_id = \'\', toStartOfHour(ts) FROM src)' });
  process.stdout.write(`${Math.round(opts.events * 0.06)} failure rows over ${opts.hours} h (${groups} groups), per 1 M events (median of ${opts.rounds}):\n`);
  for (const [name, xs] of Object.entries(times)) process.stdout.write(`  ${name}: ${((median(xs) * 1e6) / opts.events).toFixed(2)} s\n`);
} finally {
  await driver.close();
  rmSync(dir, { recursive: true, force: true });
}
