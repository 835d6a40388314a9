/**
 * Reliability trials (`npm run bench:reliability`): kill -9 during ingest, then restart,
 * and every poison input of the reliability issue, against a real `syncwatch serve`
 * process on the embedded store. Prints, and appends to bench/RESULTS.md: acknowledged,
 * stored, lost and double-counted events per trial, and what each poison input got.
 *
 *   npm run bench:reliability -- --trials 5 [--note "what changed"]
 */
import { once } from 'node:events';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { serveProcess, type ServeProcess } from '../test/support/serve-process.js';
import { positiveInt } from './report.js';

const ADMIN = 'admin-key-reliability-0123456789';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const headers = { Authorization: `Bearer ${ADMIN}`, 'Content-Type': 'application/json' };

function serve(dataDir: string): Promise<ServeProcess> {
  return serveProcess({ SYNCWATCH_DATA_DIR: dataDir, SYNCWATCH_ADMIN_KEY: ADMIN, SYNCWATCH_BATCH_MS: '300' });
}

const batch = (tenant: string, prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => ({ id: `${prefix}-${i}`, type: 'record.synced', tenant, integration: 'netsuite', flow: 'orders.export', run: `run-${prefix}`, record: { id: `R-${prefix}-${i}`, value: 2.5 } }));

/** Posts batches (one run each) from `senders` loops until stopped; returns the runs acknowledged with a 202. */
function ingestLoop(url: string, tenant: string, senders: number): { stop: () => Promise<Set<string>> } {
  const acknowledged = new Set<string>();
  let running = true;
  const loops = Array.from({ length: senders }, async (_, s) => {
    for (let b = 0; running; b++) {
      // Every fifth batch re-sends the previous one: a client retry.
      const prefix = b % 5 === 4 ? `s${s}b${b - 1}` : `s${s}b${b}`;
      const events = batch(tenant, prefix, 200);
      try {
        const res = await fetch(`${url}/v1/events`, { method: 'POST', headers, body: JSON.stringify(events) });
        if (res.status === 202) acknowledged.add(`run-${prefix}`);
        else await res.arrayBuffer();
      } catch {
        return; // the process was killed
      }
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      return acknowledged;
    },
  };
}

/** Records synced per run, as `/v1/runs` shows them (each run is one batch of 200). */
async function syncedPerRun(url: string, tenant: string): Promise<Map<string, number>> {
  const res = await fetch(`${url}/v1/runs?tenant=${tenant}&limit=1000&from=${new Date(Date.now() - 3_600_000).toISOString()}`, { headers });
  const body = (await res.json()) as { runs: { run: string; records: { synced: number } }[] };
  return new Map(body.runs.map((r) => [r.run, r.records.synced]));
}

async function syncedIn(url: string, tenant: string): Promise<number> {
  const res = await fetch(`${url}/v1/health?tenant=${tenant}`, { headers });
  const body = (await res.json()) as { connections: { flows: { records: { synced: number } }[] }[] };
  return body.connections.flatMap((c) => c.flows).reduce((n, f) => n + f.records.synced, 0);
}

async function drained(url: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const r = (await (await fetch(`${url}/readyz`)).json()) as { status: string; spool_backlog_segments: number; oldest_pending_seconds: number };
    if (r.status === 'ready' && r.spool_backlog_segments === 0 && r.oldest_pending_seconds === 0) return;
    await sleep(100);
  }
  throw new Error('the spool did not drain');
}

interface Trial {
  killedAfterMs: number;
  /** Events in batches acknowledged with a 202. */
  acknowledged: number;
  /** Events of acknowledged batches found in the store (each batch: all 200 or none). */
  storedAcknowledged: number;
  /** Events of batches in flight at the kill (no answer), found in the store: durable before the kill. */
  storedUnanswered: number;
  /** Events stored more than once. */
  twice: number;
}

async function killTrial(i: number): Promise<Trial> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'syncwatch-rel-'));
  const tenant = `trial${i}`;
  try {
    const first = await serve(dir);
    const loop = ingestLoop(first.url, tenant, 3);
    const killedAfterMs = 1000 + Math.round(Math.random() * 2000);
    await sleep(killedAfterMs);
    first.child.kill('SIGKILL');
    await once(first.child, 'exit');
    const acknowledged = await loop.stop();
    const second = await serve(dir);
    try {
      await drained(second.url);
      await sleep(500);
      const runs = await syncedPerRun(second.url, tenant);
      const t: Trial = { killedAfterMs, acknowledged: acknowledged.size * 200, storedAcknowledged: 0, storedUnanswered: 0, twice: 0 };
      for (const [run, synced] of runs) {
        t.twice += Math.max(0, synced - 200);
        if (acknowledged.has(run)) t.storedAcknowledged += Math.min(synced, 200);
        else t.storedUnanswered += Math.min(synced, 200);
      }
      return t;
    } finally {
      second.child.kill('SIGTERM');
      await once(second.child, 'exit');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every poison input of the reliability issue, as a request. */
function poisonInputs(): { name: string; path: string; type: string; body: string }[] {
  const ev = (record: string, extra = '') => `[{"type":"record.synced","tenant":"mallory","integration":"hubspot","flow":"f","run":"r","record":${record}${extra}}]`;
  const span = (attrs: [string, string][], startMs = Date.now() - 60_000) =>
    JSON.stringify({
      resourceSpans: [{ resource: { attributes: [{ key: 'tenant.id', value: { stringValue: 'mallory' } }, { key: 'integration.id', value: { stringValue: 'hubspot' } }] },
        scopeSpans: [{ scope: { name: 'p' }, spans: [{ traceId: 'd'.repeat(32), spanId: 'e'.repeat(16), name: 'run', kind: 1, startTimeUnixNano: `${BigInt(startMs) * 1_000_000n}`, endTimeUnixNano: `${BigInt(startMs + 1000) * 1_000_000n}`,
          attributes: [['integration.run.id', 'r1'], ...attrs].map(([key, v]) => ({ key, value: { stringValue: v } })), status: { code: 1 } }] }] }],
    });
  const day = 24 * 3600 * 1000;
  const spread = JSON.stringify(Array.from({ length: 120 }, (_, m) => ({ type: 'record.synced', tenant: 'mallory', integration: 'hubspot', flow: 'f', run: 'r', time: new Date(Date.now() - m * 31 * day).toISOString(), record: { id: `M${m}` } })));
  return [
    { name: 'record.value 1e308', path: '/v1/events', type: 'application/json', body: ev('{"id":"A","value":1e308}') },
    { name: 'record.value -1e308', path: '/v1/events', type: 'application/json', body: ev('{"id":"A","value":-1e308}') },
    { name: 'span records_total "1e30"', path: '/v1/traces', type: 'application/json', body: span([['integration.run.records_total', '1e30']]) },
    { name: 'span records_total "-5"', path: '/v1/traces', type: 'application/json', body: span([['integration.run.records_total', '-5']]) },
    { name: 'span record.value "1e308"', path: '/v1/traces', type: 'application/json', body: span([['record.id', 'X'], ['record.value', '1e308']]) },
    { name: 'events over 120 months', path: '/v1/events', type: 'application/json', body: spread },
    { name: 'span 200 days old', path: '/v1/traces', type: 'application/json', body: span([], Date.now() - 500 * day) },
  ];
}

async function poisonTrial(): Promise<{ rows: string[]; goodAfter: boolean }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'syncwatch-poison-'));
  const svc = await serve(dir);
  try {
    const rows: string[] = [];
    for (const p of poisonInputs()) {
      const res = await fetch(`${svc.url}${p.path}`, { method: 'POST', headers: { ...headers, 'Content-Type': p.type }, body: p.body });
      const body = (await res.json()) as { accepted?: number; rejected?: unknown[]; partialSuccess?: { rejectedSpans?: string } };
      const refused = body.rejected?.length ?? Number(body.partialSuccess?.rejectedSpans ?? 0);
      rows.push(`| ${p.name} | ${res.status} | ${body.accepted ?? '—'} | ${refused} |`);
    }
    await fetch(`${svc.url}/v1/events`, { method: 'POST', headers, body: JSON.stringify(batch('olivia', 'good', 10)) });
    await drained(svc.url);
    await sleep(300);
    return { rows, goodAfter: (await syncedIn(svc.url, 'olivia')) === 10 };
  } finally {
    svc.child.kill('SIGTERM');
    await once(svc.child, 'exit');
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  const opts = new Command()
    .option('--trials <n>', 'kill -9 trials', positiveInt, 5)
    .option('--note <text>', 'what changed, for the record')
    .parse()
    .opts<{ trials: number; note?: string }>();
  const loadStart = os.loadavg();
  const trials: Trial[] = [];
  for (let i = 0; i < opts.trials; i++) {
    const t = await killTrial(i);
    trials.push(t);
    console.log(`trial ${i + 1}: killed after ${t.killedAfterMs} ms, acknowledged ${t.acknowledged}, stored ${t.storedAcknowledged} of them (+${t.storedUnanswered} unanswered), twice ${t.twice}`);
  }
  const poison = await poisonTrial();
  const ack = trials.reduce((n, t) => n + t.acknowledged, 0);
  const lost = trials.reduce((n, t) => n + t.acknowledged - t.storedAcknowledged, 0);
  const doubled = trials.reduce((n, t) => n + t.twice, 0);
  const load = (l: number[]) => l.map((x) => x.toFixed(1)).join(' / ');
  const section = [
    '',
    `### ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC — reliability: kill -9 trials and poison inputs${opts.note ? ` (${opts.note})` : ''}`,
    '',
    `\`npm run bench:reliability -- --trials ${opts.trials}\`: a real \`syncwatch serve\` process on the embedded store; 3 senders post batches of 200 events (every fifth batch a re-send of the one before) until the process is killed with SIGKILL 1–3 s in; it is restarted on the same data directory, the spool drains, and the records synced per batch (one run each) shown by \`/v1/runs\` are compared with the batches acknowledged with a 202. A batch in flight at the kill may have been made durable without its answer: it is stored, and counted apart.`,
    '',
    `Machine: ${os.cpus()[0]?.model ?? 'unknown'}, ${os.cpus().length} cores; node ${process.version}; load average (1/5/15 min) start ${load(loadStart)}, end ${load(os.loadavg())}.`,
    '',
    '| trial | killed after ms | acknowledged | stored of them | lost | unanswered, stored | counted twice |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...trials.map((t, i) => `| ${i + 1} | ${t.killedAfterMs} | ${t.acknowledged} | ${t.storedAcknowledged} | ${t.acknowledged - t.storedAcknowledged} | ${t.storedUnanswered} | ${t.twice} |`),
    `| all | | ${ack} | ${ack - lost} | ${lost} | | ${doubled} |`,
    '',
    'Poison inputs (each used to be accepted and then stop every later write):',
    '',
    '| input | HTTP | accepted | refused |',
    '| --- | ---: | ---: | ---: |',
    ...poison.rows,
    '',
    `After them, another tenant's 10 events were stored and counted once: ${poison.goodAfter ? 'yes' : 'NO'}.`,
    '',
  ].join('\n');
  console.log(section);
  appendFileSync(new URL('./RESULTS.md', import.meta.url), section);
}

await main();
