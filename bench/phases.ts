import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { watchResponsiveness, type Responsiveness } from './responsiveness.js';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import cliProgress from 'cli-progress';
import { drainPending, Session } from 'chdb';
import { loadConfig } from '../src/config.js';
import type { ClassificationRules } from '../src/ingest/index.js';
import { toEventRows } from '../src/ingest/events.js';
import { createLogger } from '../src/logger.js';
import { startService } from '../src/main.js';
import { EmbeddedDriver, migrate, type Driver, type EventRow, type Query } from '../src/store/index.js';

const INGEST_KEY = 'bench-ingest-key-0123456789abcdef';

/** What phase A measured. */
export interface EndToEnd {
  rows: number;
  seconds: number;
  peakRssBytes: number;
  /** Peak V8 heap in use during A (the rest of the RSS is mostly the engine, native buffers and code). */
  peakHeapBytes: number;
  rssBeforeBytes: number;
  requests: number;
  duplicatesDropped: number;
  /** Seconds the service spent waiting on the store during A, by operation (insert events, event_ids.find, …). */
  storeSeconds: Record<string, { seconds: number; calls: number }>;
  /** CPU seconds (user + system, every thread: the service, the engine and the client) during A — steadier than wall time on a busy machine. */
  cpuSeconds: number;
  /** The classification rules the service used, so phase B derives the very same rows. */
  rules: ClassificationRules;
  /** The HTTP thread's responsiveness during A (responsiveness.ts). */
  responsiveness: Responsiveness;
  /** Worker threads that decoded the request bodies (0: the HTTP thread did). */
  decodeThreads: number;
}

/** What phase B measured. */
export interface RawEngine {
  rows: number;
  seconds: number;
  inserts: number;
  /** Process CPU seconds (every thread) over the timed inserts. */
  cpuSeconds?: number;
}

const countEvents = async (query: (sql: string) => Promise<string>) => Number((await query('SELECT count() FROM events')).trim());

/** Wraps the driver's calls to add up the time spent in each (an insert per table, a query per name) and count them. */
function timeStoreCalls(driver: Driver): Record<string, { seconds: number; calls: number }> {
  const totals: Record<string, { seconds: number; calls: number }> = {};
  let depth = 0; // EmbeddedDriver.insert calls insertJson: count the outer call only
  const timed = async <T>(key: string, call: () => Promise<T>): Promise<T> => {
    if (depth > 0) return call();
    depth++;
    const t0 = performance.now();
    try {
      return await call();
    } finally {
      depth--;
      const total = (totals[key] ??= { seconds: 0, calls: 0 });
      total.seconds += (performance.now() - t0) / 1000;
      total.calls++;
    }
  };
  const { insert, insertJson, insertJsonThenCopy, query } = driver;
  driver.insert = (table, rows) => timed(`insert ${table}`, () => insert.call(driver, table, rows));
  driver.insertJson = (table, lines) => timed(`insert ${table}`, () => insertJson.call(driver, table, lines));
  if (insertJsonThenCopy) driver.insertJsonThenCopy = (table, lines, copy) => timed(`insert ${table} (+ ${copy.into})`, () => insertJsonThenCopy.call(driver, table, lines, copy));
  driver.query = <T>(q: Query<T>) => timed(q.name, () => query.call(driver, q) as Promise<T[]>);
  return totals;
}

function bar(label: string, total: number): cliProgress.SingleBar {
  const b = new cliProgress.SingleBar(
    { format: `${label} |{bar}| {value}/{total} rows | {rate} rows/s | {duration}s`, stream: process.stderr, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  b.start(total, 0, { rate: 0 });
  return b;
}

/**
 * Phase A: syncwatch in-process on loopback, the pre-built request bodies POSTed to
 * /v1/events with bounded concurrency; timed from the first request until every row is
 * counted in the store. `bodies` are built before timing so the client's own JSON work
 * is not charged to the service.
 */
export async function runEndToEnd(bodies: { body: Buffer; events: number }[], concurrency: number, env: Record<string, string>): Promise<EndToEnd> {
  const total = bodies.reduce((n, b) => n + b.events, 0);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'syncwatch-bench-a-'));
  const config = loadConfig({
    SYNCWATCH_GRPC_PORT: '0',
    ...env,
    PORT: '0',
    HOST: '127.0.0.1',
    SYNCWATCH_DATA_DIR: dataDir,
    SYNCWATCH_LOG_LEVEL: 'silent',
    SYNCWATCH_INGEST_KEY: INGEST_KEY,
  });
  const rssBeforeBytes = process.memoryUsage.rss();
  const service = await startService(config, createLogger('silent'));
  const storeSeconds = timeStoreCalls(service.driver);
  let peakRssBytes = rssBeforeBytes;
  let peakHeapBytes = 0;
  const sample = () => {
    const m = process.memoryUsage();
    peakRssBytes = Math.max(peakRssBytes, m.rss);
    peakHeapBytes = Math.max(peakHeapBytes, m.heapUsed);
  };
  const sampler = setInterval(sample, 50);
  const progress = bar('A end-to-end', total);
  let sent = 0;
  let next = 0;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const watch = watchResponsiveness(service.url);
  try {
    const worker = async () => {
      while (next < bodies.length) {
        const { body, events } = bodies[next++];
        const res = await fetch(`${service.url}/v1/events`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${INGEST_KEY}`, 'Content-Type': 'application/json' },
          body: new Uint8Array(body.buffer as ArrayBuffer, body.byteOffset, body.byteLength),
        });
        const result = (await res.json()) as { accepted?: number; rejected?: unknown[] };
        if (res.status !== 202 || result.accepted !== events) {
          throw new Error(`POST /v1/events answered ${res.status}: ${JSON.stringify(result).slice(0, 500)}`);
        }
        sent += events;
        progress.update(sent, { rate: Math.round(sent / ((performance.now() - t0) / 1000)) });
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const responsiveness = await watch.stop();
    await service.ingest.batcher.flush();
    const stored = await countEvents(async (sql) => {
      const rows = await service.driver.query<{ n: string }>({ name: 'bench.count', sql: sql.replace('count()', 'count() AS n') });
      return String(rows[0].n);
    });
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    if (stored !== total) throw new Error(`phase A: ${stored} rows stored, expected ${total}`);
    sample();
    return { rows: total, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, peakRssBytes, peakHeapBytes, rssBeforeBytes, requests: bodies.length, duplicatesDropped: service.ingest.batcher.stats.duplicatesDropped, storeSeconds, rules: service.ingest.rules, responsiveness, decodeThreads: service.ingest.decoder.threads };
  } finally {
    await watch.stop();
    clearInterval(sampler);
    progress.stop();
    await service.close();
    await drainPending();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The store rows syncwatch makes of the same bodies (what toEventRows produces), as 20k-row JSONEachRow buffers. */
export function toRowBuffers(bodies: { body: Buffer }[], rules: ClassificationRules, rowsPerInsert: number): { buffer: Buffer; rows: number }[] {
  const out: { buffer: Buffer; rows: number }[] = [];
  let pending: EventRow[] = [];
  const emit = () => {
    let payload = '';
    for (const row of pending) payload += JSON.stringify(row) + '\n';
    out.push({ buffer: Buffer.from(payload), rows: pending.length });
    pending = [];
  };
  for (const { body } of bodies) {
    const { rows, rejected } = toEventRows(JSON.parse(body.toString('utf8')) as unknown[], rules, null, Date.now());
    if (rejected.length > 0) throw new Error(`generated events were rejected: ${JSON.stringify(rejected.slice(0, 3))}`);
    for (const row of rows) {
      pending.push(row);
      if (pending.length === rowsPerInsert) emit();
    }
  }
  if (pending.length > 0) emit();
  return out;
}

/** A fresh chdb data directory with syncwatch's migrations (so the same tables and views exist), opened as a session. */
async function freshEngine(prefix: string): Promise<{ session: Session; dataDir: string; close(): Promise<void> }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), prefix));
  const driver = new EmbeddedDriver(dataDir);
  await migrate(driver);
  await driver.close();
  await drainPending();
  const session = new Session(dataDir);
  return {
    session,
    dataDir,
    async close() {
      session.close();
      await drainPending();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Phase B: the same rows straight into the engine — a fresh chdb data directory with
 * the same migrations (so the same materialised views fire), then one raw JSONEachRow
 * insert per buffer, awaited in turn. Timed from the first insert to the count.
 */
export async function runRawEngine(buffers: { buffer: Buffer; rows: number }[]): Promise<RawEngine> {
  const total = buffers.reduce((n, b) => n + b.rows, 0);
  const { session, close } = await freshEngine('syncwatch-bench-b-');
  const progress = bar('B raw engine ', total);
  try {
    let done = 0;
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    for (const { buffer, rows } of buffers) {
      await session.insert({ table: 'events', values: buffer, format: 'JSONEachRow' });
      done += rows;
      progress.update(done, { rate: Math.round(done / ((performance.now() - t0) / 1000)) });
    }
    const stored = await countEvents(async (sql) => (await session.queryAsync(sql, { format: 'TSV' })).text());
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    if (stored !== total) throw new Error(`phase B: ${stored} rows stored, expected ${total}`);
    return { rows: total, seconds, inserts: buffers.length, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
  } finally {
    progress.stop();
    await close();
  }
}

/**
 * Phase C: the engine's ceiling — the same rows as Native files inserted into a bare copy
 * of `events` (same columns, order and engine; no materialised views), one
 * `INSERT … SELECT FROM file(…, Native)` per buffer. chDB's Node insert takes text formats
 * only, so this is how a binary format reaches the engine. Converting the buffers to Native
 * is done before timing.
 */
export async function runEngineCeiling(buffers: { buffer: Buffer; rows: number }[]): Promise<RawEngine> {
  const total = buffers.reduce((n, b) => n + b.rows, 0);
  const { session, dataDir, close } = await freshEngine('syncwatch-bench-c-');
  const progress = bar('C engine ceiling', total);
  try {
    await session.queryAsync('CREATE TABLE bare_events AS events');
    await session.queryAsync('CREATE TABLE staging AS events ENGINE = Memory');
    const files: { file: string; rows: number }[] = [];
    for (const [i, { buffer, rows }] of buffers.entries()) {
      const file = path.join(dataDir, `c-${i}.native`);
      await session.insert({ table: 'staging', values: buffer, format: 'JSONEachRow' });
      await session.queryAsync(`INSERT INTO FUNCTION file('${file}', 'Native') SELECT * FROM staging`);
      await session.queryAsync('TRUNCATE TABLE staging');
      files.push({ file, rows });
    }
    let done = 0;
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    for (const { file, rows } of files) {
      await session.queryAsync(`INSERT INTO bare_events SELECT * FROM file('${file}', 'Native')`);
      done += rows;
      progress.update(done, { rate: Math.round(done / ((performance.now() - t0) / 1000)) });
    }
    const stored = Number((await session.queryAsync('SELECT count() FROM bare_events', { format: 'TSV' })).text().trim());
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    if (stored !== total) throw new Error(`phase C: ${stored} rows stored, expected ${total}`);
    return { rows: total, seconds, inserts: files.length, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
  } finally {
    progress.stop();
    await close();
  }
}

/** Rows of one table written to a Native file (input of runStoredCeiling). */
export interface NativeExport {
  table: string;
  file: string;
  rows: number;
}

/**
 * Writes each table's rows of one tenant (`tenantOf`: table → its tenant expression) to
 * a Native file, through the service's own store, for phase C after the service closed
 * (chDB opens one data directory per process).
 */
export async function exportTenantRows(driver: Driver, storeDir: string, tenantOf: Record<string, string>, tenant: string): Promise<NativeExport[]> {
  const out: NativeExport[] = [];
  for (const [table, expr] of Object.entries(tenantOf)) {
    const file = path.join(storeDir, `ceiling-${table}.native`);
    await driver.command(`INSERT INTO FUNCTION file('${file}', 'Native') SELECT * FROM ${table} WHERE ${expr} = {tenant:String}`, { tenant });
    const [{ n }] = await driver.query<{ n: string }>({ name: 'bench.count', sql: `SELECT count() AS n FROM ${table} WHERE ${expr} = {tenant:String}`, params: { tenant } });
    const keep = path.join(mkdtempSync(path.join(tmpdir(), 'syncwatch-bench-export-')), path.basename(file));
    copyFileSync(file, keep);
    out.push({ table, file: keep, rows: Number(n) });
  }
  return out;
}

/**
 * Phase C for rows a store already holds (the OTLP bench: the rows ingest made of the
 * spans): one insert per exported file into a bare copy of its table (no views) in a
 * fresh engine. One insert per table is the most generous ceiling (larger blocks cost
 * less per row).
 */
export async function runStoredCeiling(exported: NativeExport[]): Promise<RawEngine> {
  const { session, dataDir, close } = await freshEngine('syncwatch-bench-c-');
  try {
    const files: string[] = [];
    for (const e of exported) {
      await session.queryAsync(`CREATE TABLE bare_${e.table} AS ${e.table}`);
      const copy = path.join(dataDir, path.basename(e.file));
      copyFileSync(e.file, copy);
      rmSync(path.dirname(e.file), { recursive: true, force: true });
      files.push(copy);
    }
    const t0 = performance.now();
    for (const [i, e] of exported.entries()) await session.queryAsync(`INSERT INTO bare_${e.table} SELECT * FROM file('${files[i]}', 'Native')`);
    const seconds = (performance.now() - t0) / 1000;
    for (const e of exported) {
      const stored = Number((await session.queryAsync(`SELECT count() FROM bare_${e.table}`, { format: 'TSV' })).text().trim());
      if (stored !== e.rows) throw new Error(`phase C: ${stored} rows in bare_${e.table}, expected ${e.rows}`);
    }
    return { rows: exported.reduce((n, e) => n + e.rows, 0), seconds, inserts: exported.length };
  } finally {
    await close();
  }
}
