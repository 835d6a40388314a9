// Record look-ups before and after migration 075 on the same rows in the same store: the
// record_attempts table (a copy of the record events ordered by tenant and record id) and
// record_events, the plain view over events that replaced it (tenant key + bloom filter
// on record_id). The store is migrated up to 061, loaded with the bench/queries event
// shape (record ids recur across a flow's runs for the whole history), and given the
// record_events view beside record_attempts; each reader then runs twice per round,
// alternating: as shipped (record_events, events FINAL) and with its SQL pointed back at
// record_attempts. Prints the median and p95 per reader and variant. Print only.
//
//   tsx bench/record-lookups.ts --events 10000000 --repeat 20 [--data-dir /tmp/sw-records]
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { loadConfig } from '../src/config.js';
import { getRunReport, getValue, listRuns } from '../src/insights/index.js';
import { EmbeddedDriver, getRecordAttempts, getRecordStatus, migrate, readMigrations, type Driver, type Query } from '../src/store/index.js';
import { getFailingRecords } from '../src/views/index.js';
import { positiveInt, quantile } from './report.js';

const opts = new Command('bench:record-lookups')
  .option('--events <n>', 'events to load', positiveInt, 10_000_000)
  .option('--repeat <n>', 'timed calls per reader and variant', positiveInt, 20)
  .option('--data-dir <dir>', 'store to use and keep (loaded only when empty)')
  .parse()
  .opts<{ events: number; repeat: number; dataDir?: string }>();

const DAY = 86_400_000;
const RUN_LEN = 52;
const FLOWS_TOTAL = 160;
const dataDir = opts.dataDir ? path.resolve(opts.dataDir) : mkdtempSync(path.join(os.tmpdir(), 'syncwatch-bench-records-'));
const META = path.join(dataDir, 'now.txt');
const loaded = existsSync(META);
const nowMs = loaded ? Number(readFileSync(META, 'utf8')) : Date.now();
const driver = new EmbeddedDriver(path.join(dataDir, 'clickhouse'));
process.stderr.write(`data dir ${dataDir}; load average ${os.loadavg().map((x) => x.toFixed(1)).join(' / ')}\n`);

// bench/queries.ts's shape: 20 tenants × 4 integrations × 2 flows, runs of 52 events over 60 days.
const eventsSql = (offset: number, count: number, stepMs: number) => `
INSERT INTO events (event_id, type, ts, received_at, tenant, integration, connection, flow, run, record_id,
  record_type, record_value, has_value, currency, failure_category, failure_code, message, source)
SELECT concat('e-', toString(number)) AS event_id,
  multiIf(pos = 0, 'run.started', pos = ${RUN_LEN - 1}, if(cityHash64(k, 2) % 100 < 8, 'run.failed', 'run.succeeded'),
          r < 0.05, 'record.failed', r < 0.08, 'record.skipped', 'record.synced') AS type,
  toDateTime64(${(nowMs - 60 * DAY) / 1000} + (k * ${stepMs} + pos * 150) / 1000, 3, 'UTC') AS ts,
  ts AS received_at,
  concat('t', leftPad(toString(ti), 2, '0')) AS tenant,
  ['salesforce', 'quickbooks', 'hubspot', 'netsuite'][ii + 1] AS integration,
  concat(tenant, '-', integration) AS connection,
  ['orders.export', 'contacts.import'][fi + 1] AS flow,
  concat('run-', toString(k)) AS run,
  if(type LIKE 'record.%', concat(if(fi = 0, 'SO-', 'C-'), toString(cityHash64(k % ${FLOWS_TOTAL}, pos, intDiv(k, ${FLOWS_TOTAL * 4})) % 20000)), '') AS record_id,
  if(type LIKE 'record.%', if(fi = 0, 'order', 'contact'), '') AS record_type,
  if(type LIKE 'record.%' AND fi = 0, round((cityHash64(number, 5) % 500000) / 100, 2), 0) AS record_value,
  if(type LIKE 'record.%' AND fi = 0, 1, 0) AS has_value,
  if(has_value = 1, ['USD', 'EUR', 'GBP'][cityHash64(number, 6) % 3 + 1], '') AS currency,
  if(type IN ('record.failed', 'run.failed'), ['infra', 'endpoint', 'data'][cityHash64(number, 7) % 3 + 1], '') AS failure_category,
  if(failure_category = '', '', ['timeout', 'http_500', 'missing_field'][cityHash64(number, 8) % 3 + 1]) AS failure_code,
  if(failure_category = '', '', concat(failure_code, ': could not sync ', record_id)) AS message,
  'event' AS source
FROM (SELECT number, intDiv(number, ${RUN_LEN}) AS k, number % ${RUN_LEN} AS pos, k % ${FLOWS_TOTAL} AS f, intDiv(f, 8) AS ti,
             intDiv(f % 8, 2) AS ii, f % 2 AS fi, (cityHash64(number, 1) % 1000) / 1000 AS r
      FROM numbers(${offset}, ${count}))`;

if (!loaded) {
  await migrate(driver, readMigrations().filter((m) => m.version <= 61));
  const view = readMigrations().find((m) => m.version === 75)!.statements.find((s) => s.startsWith('CREATE VIEW'))!;
  await driver.command(view);
  const stepMs = Math.floor((60 * DAY - 3_600_000) / Math.ceil(opts.events / RUN_LEN));
  const t0 = performance.now();
  for (let off = 0; off < opts.events; off += 1_000_000) await driver.command(eventsSql(off, Math.min(1_000_000, opts.events - off), stepMs));
  await driver.command('OPTIMIZE TABLE events FINAL');
  await driver.command('OPTIMIZE TABLE record_attempts FINAL');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(META, String(nowMs));
  process.stderr.write(`loaded ${opts.events} events in ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
}

/** The reader's SQL as it was before migration 075: record_attempts instead of record_events / events. */
const before = (sql: string) =>
  sql
    .replace(/\brecord_events\b/g, 'record_attempts')
    .replace("replaceOne(type, 'record.', '') AS status, record_type", 'status, record_type')
    .replace(/FROM events FINAL\s+WHERE type IN \('record.synced', 'record.failed', 'record.skipped'\) AND/, 'FROM record_attempts FINAL WHERE');
const old: Driver = new Proxy(driver, {
  get(target, prop) {
    if (prop === 'query') return (q: Query<unknown>) => target.query({ ...q, sql: before(q.sql) });
    const v = Reflect.get(target, prop);
    return typeof v === 'function' ? v.bind(target) : v;
  },
});

const tenant = 't07';
const runs = await listRuns(driver, { tenant, range: { from: new Date(nowMs - 7 * DAY), to: new Date(nowMs) }, limit: 5 });
const run = runs.find((r) => r.outcome === 'failed')?.run ?? runs[0].run;
const config = loadConfig({ SYNCWATCH_DATA_DIR: dataDir, SYNCWATCH_GRPC_PORT: '0' });
const valueSettings = { ...config.value, rates: { ...config.value.rates, EUR: config.value.rates?.EUR ?? 1.08, GBP: config.value.rates?.GBP ?? 1.27 } };
const ids = ['SO-123', 'C-4567', 'SO-19999', 'SO-not-there'];
const midMonth = new Date(nowMs - 10 * DAY);
const readers: [string, (d: Driver) => Promise<unknown>][] = [
  ...ids.map((id): [string, (d: Driver) => Promise<unknown>] => [`GET /v1/records ${id} (attempts + status)`, (d) => Promise.all([getRecordAttempts(d, { tenant, recordId: id }), getRecordStatus(d, { tenant, recordId: id })])]),
  ['status page failing records, 7 days', (d) => getFailingRecords(d, { tenant, from: new Date(nowMs - 7 * DAY), limit: 20 })],
  [`run report ${run}`, (d) => getRunReport(d, { tenant, run, limit: 10_000 })],
  ['value, last 10 days (mid-month cut-off)', (d) => getValue(d, { tenant, range: { from: midMonth, to: new Date(nowMs) } }, valueSettings)],
];

const times = new Map<string, number[]>();
for (const [name, fn] of readers) {
  const a = JSON.stringify(await fn(old));
  const b = JSON.stringify(await fn(driver));
  if (a !== b) throw new Error(`${name}: answers differ before and after migration 075`);
  for (let i = 0; i < 3; i++) {
    await fn(old);
    await fn(driver);
  }
  for (let i = 0; i < opts.repeat; i++) {
    for (const [variant, d] of [['record_attempts', old], ['record_events', driver]] as const) {
      const t0 = performance.now();
      await fn(d);
      const key = `${name} | ${variant}`;
      times.set(key, [...(times.get(key) ?? []), performance.now() - t0]);
    }
  }
}
process.stdout.write(`${opts.events.toLocaleString('en-US')} events, tenant ${tenant}, ${opts.repeat} calls each (answers equal before and after)\n`);
process.stdout.write('| reader | record_attempts p50 / p95 ms | record_events p50 / p95 ms |\n| --- | ---: | ---: |\n');
for (const [name] of readers) {
  const o = times.get(`${name} | record_attempts`)!;
  const n = times.get(`${name} | record_events`)!;
  const f = (xs: number[]) => `${quantile(xs.sort((x, y) => x - y), 0.5).toFixed(0)} / ${quantile(xs, 0.95).toFixed(0)}`;
  process.stdout.write(`| ${name} | ${f(o)} | ${f(n)} |\n`);
}
process.stdout.write(`load average at end ${os.loadavg().map((x) => x.toFixed(1)).join(' / ')}\n`);
await driver.close();
