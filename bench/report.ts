import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { Session, version as chdbVersion } from 'chdb';
import { InvalidArgumentError } from 'commander';
import type { EndToEnd, RawEngine } from './phases.js';

const HEADER = `# Benchmark results

Written by the scripts in \`bench/\`; newest sections last.

## Ingest: \`npm run bench:ingest\`

\`\`\`
npm run bench:ingest -- --events 1000000 --batch 5000 --concurrency 4 [--note "what changed"]
\`\`\`

Generates N deterministic events (8 tenants, 6 integrations, 10 flows, record.synced /
record.failed with business ids, money values, ~5% failures with error objects, each with
a client \`id\`), then in one process:

- **A, end to end**: syncwatch in-process (fresh temp data dir, loopback HTTP, an ingest
  key) receives them as JSON arrays of \`--batch\` events on \`POST /v1/events\`, at most
  \`--concurrency\` requests in flight. Timed from the first request until
  \`SELECT count() FROM events\` equals N. Includes everything a request pays for:
  parsing, validation, classification, the spool append + fsync before the 202,
  de-duplication against \`event_ids\`, the \`events\` insert (and its materialised views)
  and the \`event_ids\` insert.
- **B, raw engine**: the same store rows (what \`toEventRows\` makes of the same bodies)
  inserted straight into \`events\` of a fresh, identically migrated chdb data dir, as
  JSONEachRow buffers of 20 000 rows, one insert at a time.

**Ratio = A / B**: the share of the embedded engine's own insert rate that the service
delivers end to end with its guarantees (durable acknowledgement, exact de-duplication,
validation). Target ≥ 0.5. Peak RSS is the whole bench process during A (it includes the
pre-built request bodies, shown as "RSS before A").
`;

const mib = (bytes: number) => `${Math.round(bytes / 1048576)} MiB`;
const rate = (rows: number, seconds: number) => Math.round(rows / seconds);

/** The ClickHouse version of the embedded engine, read from a throwaway session. */
export async function embeddedEngineVersion(): Promise<string> {
  const session = new Session();
  try {
    return (await session.queryAsync('SELECT version()', { format: 'TSV' })).text().trim();
  } finally {
    session.close();
  }
}

/** Machine, runtime and engine versions for the record. */
export async function describeEnvironment(engineVersion: () => Promise<string>): Promise<Record<string, string>> {
  const v = chdbVersion();
  return {
    machine: `${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    node: process.version,
    chdb: `${v.chdb} (libchdb ${v.libchdb}, ClickHouse ${await engineVersion()})`,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    // Other processes on the same cores slow both phases (the ratio less so): say how busy the machine was.
    'load average (1/5/15 min, at the end)': os.loadavg().map((l) => l.toFixed(1)).join(' / '),
  };
}

/** `; N µs CPU per row` of a raw phase, when it measured CPU: what A's µs per row is set against. */
const cpuPerRow = (r: RawEngine) => (r.cpuSeconds === undefined ? '' : `; ${((r.cpuSeconds * 1e6) / r.rows).toFixed(1)} µs CPU per row`);

/** The numbers of one run as `label: value` lines (printed and written to RESULTS.md). */
export function summarise(a: EndToEnd, b: RawEngine, c: RawEngine | null, opts: { batch: number; concurrency: number; batchRows: string; role: string }): [string, string][] {
  const rateA = rate(a.rows, a.seconds);
  const rateB = rate(b.rows, b.seconds);
  const rateC = c ? rate(c.rows, c.seconds) : null;
  return [
    ['events', `${a.rows.toLocaleString('en-US')} (${a.requests} requests of ${opts.batch}, concurrency ${opts.concurrency}, SYNCWATCH_BATCH_ROWS ${opts.batchRows}, role ${opts.role})`],
    ['A end to end', `${rateA.toLocaleString('en-US')} rows/s (${a.seconds.toFixed(2)} s)`],
    // Both cores busy is 2 CPU s per s: the share shows whether A is bound by CPU or by waiting.
    ['A CPU (process: service, store and client)', `${a.cpuSeconds.toFixed(1)} s, ${((a.cpuSeconds / a.seconds) * 100).toFixed(0)} % of one core; ${((a.cpuSeconds * 1e6) / a.rows).toFixed(1)} µs per row`],
    ['B raw engine', `${rateB.toLocaleString('en-US')} rows/s (${b.seconds.toFixed(2)} s, ${b.inserts} inserts)${cpuPerRow(b)}`],
    ['ratio A/B', (rateA / rateB).toFixed(2)],
    ...(c && rateC ? ([
      ['C engine ceiling', `${rateC.toLocaleString('en-US')} rows/s (${c.seconds.toFixed(2)} s, ${c.inserts} Native inserts into events without views)${cpuPerRow(c)}`],
      ['ratio A/C', (rateA / rateC).toFixed(2)],
    ] as [string, string][]) : []),
    ['peak RSS during A', `${mib(a.peakRssBytes)} (RSS before A: ${mib(a.rssBeforeBytes)}; peak JS heap: ${mib(a.peakHeapBytes)})`],
    ['A store time', Object.entries(a.storeSeconds).filter(([k]) => k !== 'bench.count').map(([k, v]) => `${k} ${v.seconds.toFixed(1)} s (${v.calls}×)`).join(', ')],
    ['duplicates dropped', String(a.duplicatesDropped)],
  ];
}

/** Appends a dated section to RESULTS.md, creating the file with its header first. */
export function appendResults(file: string, env: Record<string, string>, lines: [string, string][], note: string | undefined): void {
  if (!existsSync(file)) writeFileSync(file, HEADER);
  const date = new Date().toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
  const body = [...lines, ...Object.entries(env)].map(([k, v]) => `| ${k} | ${v} |`).join('\n');
  appendFileSync(file, `\n### ${date} — ingest${note ? `: ${note}` : ''}\n\n| | |\n| --- | --- |\n${body}\n`);
}

/** commander option parser for counts: a positive integer, or a clear usage error. */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

/** The q-quantile (nearest rank) of ascending `sorted` timings. */
export const quantile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
