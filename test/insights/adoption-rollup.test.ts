/**
 * Every rollup-backed adoption figure equals a direct recomputation from the raw
 * `events FINAL` rows, for a seeded random workload posted out of order with re-sent
 * duplicates, over periods whose ends fall mid-hour, on the hour, at midnight and inside
 * a single hour. The recomputation below is written from the documented definitions
 * (docs/api/adoption.md), independently of the SQL.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { z } from 'zod';
import { prng, randomWorkload, type WorkloadEvent } from '../support/random-workload.js';
import { startTestService, type TestService } from '../support/service.js';

const ADMIN = 'admin-key-0123456789abcdef';
const INGEST = 'ingest-key-0123456789abcdef';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = Date.UTC(2026, 10, 18, 9, 17, 23, 456);
const RATES: Record<string, number> = { EUR: 1.1, GBP: 1.27 };
const STEP_EVENTS = ['integration.viewed', 'integration.install_started', 'integration.authorized', 'integration.configured', 'integration.enabled', 'run.succeeded'];
const STEP_NAMES = ['viewed', 'install_started', 'authorized', 'configured', 'enabled', 'first_successful_sync'];
const STATE_EVENTS = new Set(['integration.enabled', 'integration.disabled', 'integration.uninstalled']);
const CHURNED = new Set(['integration.disabled', 'integration.uninstalled']);

let svc: TestService;
let configDir: string;
let distinctEvents = 0;
let posted: WorkloadEvent[] = [];

const rawRow = z.object({
  type: z.string(),
  ms: z.coerce.number(),
  tenant: z.string(),
  integration: z.string(),
  connection: z.string(),
  event_id: z.string(),
  record_value: z.number(),
  currency: z.string(),
});
type Raw = z.infer<typeof rawRow>;

/**
 * Connections that do not go through the funnel in order: random steps skipped, steps
 * recorded out of order, several enable/disable/uninstall changes, second connections of
 * the same integration, and runs from connections with no lifecycle events at all.
 */
function lifecycleNoise(seed: number, now: number, days: number): WorkloadEvent[] {
  const rnd = prng(seed);
  const time = () => new Date(now - Math.floor(rnd() * days * DAY)).toISOString();
  const events: WorkloadEvent[] = [];
  const add = (e: Omit<WorkloadEvent, 'id' | 'time'>) => events.push({ ...e, id: `noise${seed}-${events.length}`, time: time() } as WorkloadEvent);
  for (let n = 0; n < 40; n++) {
    const base = { tenant: `noise-${n % 13}`, integration: ['salesforce', 'quickbooks', 'hubspot'][n % 3], ...(n % 4 === 0 ? { connection: `second-${n}` } : {}) };
    for (const step of STEP_EVENTS.slice(0, 5)) if (rnd() < 0.6) add({ ...base, type: step });
    for (let i = Math.floor(rnd() * 4); i > 0; i--) add({ ...base, type: ['integration.enabled', 'integration.disabled', 'integration.uninstalled'][Math.floor(rnd() * 3)] });
    for (let i = Math.floor(rnd() * 4); i > 0; i--) add({ ...base, type: 'run.succeeded', flow: 'orders.export', run: `noise-run-${n}-${i}` });
    if (rnd() < 0.5) add({ ...base, type: 'run.failed', flow: 'orders.export', run: `noise-fail-${n}`, error: { http_status: 500 } });
  }
  return events;
}

async function post(batch: WorkloadEvent[]) {
  const res = await request(svc.server).post('/v1/events').set('Authorization', `Bearer ${INGEST}`).send(batch);
  assert.equal(res.status, 202);
  assert.deepEqual(res.body.rejected, []);
}

before(async () => {
  configDir = mkdtempSync(path.join(tmpdir(), 'syncwatch-adoption-rollup-'));
  const configFile = path.join(configDir, 'syncwatch.yaml');
  writeFileSync(configFile, `value:\n  reporting_currency: USD\n  reference_rates: false\n  rates:\n    EUR: ${RATES.EUR}\n    GBP: ${RATES.GBP}\n`);
  svc = await startTestService({ SYNCWATCH_ADMIN_KEY: ADMIN, SYNCWATCH_INGEST_KEY: INGEST, SYNCWATCH_CONFIG: configFile });
  // Two overlapping workloads on the same tenants and integrations: connections see
  // repeated funnel steps, several disable/enable cycles and runs across both.
  const workloads = [randomWorkload(1, { now: NOW }), randomWorkload(2, { now: NOW - 3 * DAY - 7 * HOUR, days: 30, runsPerFlow: 20 })];
  for (const w of workloads) {
    distinctEvents += w.events.length;
    posted = [...posted, ...w.events];
    for (const batch of w.batches) await post(batch);
  }
  const noise = lifecycleNoise(3, NOW, 40);
  distinctEvents += noise.length;
  posted = [...posted, ...noise];
  for (let i = 0; i < noise.length; i += 37) await post(noise.slice(i, i + 37));
  await svc.ingest.batcher.flush();
  // Re-sent after they were stored: must be recognised as duplicates too.
  for (const batch of workloads[0].batches.slice(0, 3)) await post(batch);
  await svc.ingest.batcher.flush();
});
after(async () => {
  await svc.stop();
  rmSync(configDir, { recursive: true, force: true });
});

async function rawEvents(): Promise<Raw[]> {
  return svc.driver.query({
    name: 'test.raw_events',
    sql: `SELECT type, toUnixTimestamp64Milli(ts) AS ms, tenant, integration, connection, event_id, record_value, currency
          FROM events FINAL`,
    schema: rawRow,
  });
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor((s.length - 1) / 2);
  return s.length % 2 ? s[mid] : (s[mid] + s[mid + 1]) / 2;
};
const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

interface Connection {
  /** Has a lifecycle event or a successful run before `to`. */
  known: boolean;
  first: number[];
  state: { type: string; ms: number; id: string } | null;
  successes: number[];
}

/** The whole /v1/adoption answer, recomputed from raw rows by the documented definitions. */
function recompute(rows: Raw[], from: number, to: number, only?: string) {
  const mine = rows.filter((r) => !only || r.integration === only);
  const byIntegration = new Map<string, Map<string, Connection>>();
  const connectionOf = (r: Raw) => {
    const conns = byIntegration.get(r.integration) ?? new Map<string, Connection>();
    byIntegration.set(r.integration, conns);
    const key = `${r.tenant}\u0000${r.connection}`;
    const c = conns.get(key) ?? { known: false, first: STEP_EVENTS.map(() => Infinity), state: null, successes: [] };
    conns.set(key, c);
    return c;
  };
  const moved = new Map<string, { records: number; micros: Map<string, number> }>();
  for (const r of mine) {
    if (r.type === 'run.succeeded') connectionOf(r).successes.push(r.ms);
    if (r.type === 'record.synced' && r.ms >= from && r.ms < to) {
      const m = moved.get(r.integration) ?? { records: 0, micros: new Map<string, number>() };
      m.records++;
      if (r.currency) m.micros.set(r.currency, (m.micros.get(r.currency) ?? 0) + Math.round(r.record_value * 1e6));
      moved.set(r.integration, m);
    }
    if (r.ms >= to || !(r.type.startsWith('integration.') || r.type === 'run.succeeded')) continue;
    const c = connectionOf(r);
    c.known = true;
    const k = STEP_EVENTS.indexOf(r.type);
    if (k >= 0) c.first[k] = Math.min(c.first[k], r.ms);
    const later = !c.state || r.ms > c.state.ms || (r.ms === c.state.ms && r.event_id > c.state.id);
    if (STATE_EVENTS.has(r.type) && later) c.state = { type: r.type, ms: r.ms, id: r.event_id };
  }

  const days: string[] = [];
  for (let t = Math.floor(from / DAY) * DAY; t < to; t += DAY) days.push(utcDay(t));
  const inPeriod = (t: number) => t >= from && t < to;
  const items = [];
  for (const integration of [...new Set([...byIntegration.keys(), ...moved.keys()])].sort()) {
    const conns = [...(byIntegration.get(integration) ?? new Map<string, Connection>()).values()];
    const reach = conns.map((c) => {
      const r = [...c.first];
      for (let k = r.length - 2; k >= 0; k--) r[k] = Math.min(r[k], r[k + 1]);
      return r;
    });
    // By cohort: connections that entered the funnel in the period, at each step they reached by its end.
    const cohort = (r: number[]) => inPeriod(r[0]);
    const counts = STEP_EVENTS.map((_, k) => reach.filter((r) => cohort(r) && r[k] < to).length);
    for (let k = 1; k < counts.length; k++) assert.ok(counts[k] <= counts[k - 1], 'a cohort never grows along the funnel');
    const funnel = STEP_NAMES.map((step, k) => {
      const timed = k === 0 ? [] : conns.flatMap((c, i) =>
        cohort(reach[i]) && reach[i][k] < to && c.first[k - 1] < Infinity && c.first[k] < Infinity ? [reach[i][k] - reach[i][k - 1]] : []);
      return {
        step,
        connections: counts[k],
        conversion: k > 0 && counts[k - 1] > 0 ? round(counts[k] / counts[k - 1], 4) : null,
        median_seconds_from_previous: timed.length ? median(timed) / 1000 : null,
      };
    });
    const activeWithin = (ms: number) => conns.filter((c) => c.successes.some((t) => t >= to - ms && t < to)).length;
    const daily = days.map((date) => ({ date, connections: conns.filter((c) => c.successes.some((t) => utcDay(t) === date)).length }));
    const m = moved.get(integration);
    const byCurrency: Record<string, number> = {};
    const unconverted: string[] = [];
    let total = 0;
    for (const [currency, micros] of [...(m?.micros ?? [])].sort(([a], [b]) => a.localeCompare(b))) {
      byCurrency[currency] = micros / 1e6;
      const rate = currency === 'USD' ? 1 : RATES[currency];
      if (rate === undefined) unconverted.push(currency);
      else total += (micros / 1e6) * rate;
    }
    const churned = conns.filter((c) => c.state && CHURNED.has(c.state.type));
    const item = {
      integration,
      funnel,
      installs: { new: counts[4], total: reach.filter((r) => r[4] < Infinity).length },
      active_connections: { last_7d: activeWithin(7 * DAY), last_30d: activeWithin(30 * DAY) },
      churned: { total: churned.length, in_period: churned.filter((c) => c.state!.ms >= from).length },
      records_moved: m?.records ?? 0,
      value_moved: { total: round(total, 2), currency: 'USD', by_currency: byCurrency, unconverted_currencies: unconverted },
      daily_active_connections: daily,
    };
    const hasData = conns.some((c) => c.known) || item.active_connections.last_30d > 0 || daily.some((d) => d.connections > 0) || m;
    if (hasData || integration === only) items.push(item);
  }
  const ranking = [...items]
    .sort((a, b) => b.active_connections.last_30d - a.active_connections.last_30d || b.value_moved.total - a.value_moved.total || a.integration.localeCompare(b.integration))
    .map((a, i) => ({ rank: i + 1, integration: a.integration, active_connections_30d: a.active_connections.last_30d, value_moved: a.value_moved.total }));
  return { from: new Date(from).toISOString(), to: new Date(to).toISOString(), reporting_currency: 'USD', integrations: items, ranking };
}

async function adoption(query: Record<string, string>) {
  const res = await request(svc.server).get('/v1/adoption').query(query).set('Authorization', `Bearer ${ADMIN}`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body;
}

const iso = (ms: number) => new Date(ms).toISOString();
const midnight = (ms: number) => Math.floor(ms / DAY) * DAY;

describe('adoption rollups against raw events', () => {
  test('the store holds each workload event exactly once despite re-sent duplicates', async () => {
    const rows = await svc.driver.query({ name: 'test.count', sql: 'SELECT count() AS n, uniqExact(tenant, event_id) AS u FROM events', schema: z.object({ n: z.coerce.number(), u: z.coerce.number() }) });
    assert.equal(rows[0].n, distinctEvents);
    assert.equal(rows[0].u, distinctEvents);
  });

  const periods: [string, number, number][] = [
    ['the default 30 days before now', NOW - 30 * DAY, NOW],
    ['ends mid-hour', NOW - 9 * DAY - 17 * 60_000 - 3_500, NOW - 2 * DAY - 41 * 60_000],
    ['inside one hour', NOW - 5 * DAY - 50 * 60_000, NOW - 5 * DAY - 25 * 60_000],
    ['UTC midnights', midnight(NOW) - 10 * DAY, midnight(NOW) - DAY],
    ['whole hours', Math.floor(NOW / HOUR) * HOUR - 100 * HOUR, Math.floor(NOW / HOUR) * HOUR - 3 * HOUR],
    ['ends before most data', NOW - 60 * DAY, NOW - 25 * DAY + 5 * HOUR],
    ['ends after the data', NOW - 12 * DAY, NOW + 10 * HOUR],
  ];
  for (const [name, from, to] of periods) {
    test(`every figure equals raw recomputation: ${name}`, async () => {
      const rows = await rawEvents();
      const expected = recompute(rows, from, to);
      assert.ok(expected.integrations.length > 0 || name === 'ends before most data');
      assert.deepEqual(await adoption({ from: iso(from), to: iso(to) }), expected);
    });
  }

  // Periods whose ends cut through bursts of activity, so partial hours and days matter.
  const timeOf = (type: string, q: number) => {
    const ts = posted.filter((e) => e.type === type).map((e) => Date.parse(e.time)).sort((a, b) => a - b);
    return ts[Math.floor(q * (ts.length - 1))];
  };
  const cutting: [string, () => [number, number]][] = [
    ['both ends inside a burst of runs', () => [timeOf('record.synced', 0.3), timeOf('run.succeeded', 0.7) + 1]],
    ['the 7- and 30-day edges inside a burst of runs', () => [timeOf('run.succeeded', 0.4) + 6 * DAY, timeOf('run.succeeded', 0.4) + 7 * DAY + 1]],
    ['the 30-day edge inside a burst of runs', () => [timeOf('run.succeeded', 0.2) + 29 * DAY, timeOf('run.succeeded', 0.2) + 30 * DAY + 1]],
    ['both ends inside the lifecycle steps', () => [timeOf('integration.authorized', 0.5), timeOf('integration.disabled', 0.5) + 1]],
  ];
  for (const [name, period] of cutting) {
    test(`every figure equals raw recomputation: ${name}`, async () => {
      const [from, to] = period();
      const rows = await rawEvents();
      const expected = recompute(rows, from, to);
      assert.ok(expected.integrations.length > 0);
      assert.deepEqual(await adoption({ from: iso(from), to: iso(to) }), expected);
    });
  }

  test('every figure equals raw recomputation for one integration and a 7-day window', async () => {
    const rows = await rawEvents();
    for (const integration of ['salesforce', 'quickbooks', 'hubspot']) {
      const to = NOW - 36 * 60_000;
      assert.deepEqual(await adoption({ to: iso(to), window: '7d', integration }), recompute(rows, to - 7 * DAY, to, integration));
    }
  });

  test('the workload exercises what the figures are about', async () => {
    const body = await adoption({ from: iso(NOW - 40 * DAY), to: iso(NOW) });
    type Item = { funnel: { connections: number }[]; churned: { total: number }; records_moved: number; active_connections: { last_7d: number } };
    const total = (f: (i: Item) => number) => (body.integrations as Item[]).reduce((s, i) => s + f(i), 0);
    assert.ok(total((i) => i.funnel[0].connections) > total((i) => i.funnel[5].connections), 'some drop off');
    assert.ok(total((i) => i.churned.total) > 0, 'some churn');
    assert.ok(total((i) => i.records_moved) > 0, 'records moved');
    assert.ok(total((i) => i.active_connections.last_7d) > 0, 'active connections');
  });
});
