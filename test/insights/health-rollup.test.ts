import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { getHealth, listRuns } from '../../src/insights/index.js';
import { judgeConnection, judgeFlow } from '../../src/insights/health-rules.js';
import type { FlowState, RecentRun } from '../../src/insights/health-state.js';
import type { FlowCounts } from '../../src/insights/health-stats.js';
import { randomWorkload } from '../support/random-workload.js';
import { startTestService, type TestService } from '../support/service.js';

// Every rollup-backed figure of /v1/health and /v1/runs must equal a recount from the raw
// `events FINAL` rows, for a seeded workload with duplicates and events out of order.

const ADMIN = 'admin-key-0123456789abcdef';
const INGEST = 'ingest-key-0123456789abcdef';
const NOW = Date.now();
const H = 3_600_000;
const D = 24 * H;

interface Raw {
  event_id: string;
  type: string;
  ms: number;
  tenant: string;
  integration: string;
  connection: string;
  flow: string;
  run: string;
  failure_category: string;
  failure_code: string;
  message: string;
  records_total: number;
}

let svc: TestService;
let raw: Raw[];

before(async () => {
  svc = await startTestService({ SYNCWATCH_ADMIN_KEY: ADMIN, SYNCWATCH_INGEST_KEY: INGEST });
  for (const seed of [7]) {
    for (const batch of randomWorkload(seed, { now: NOW }).batches) {
      const res = await request(svc.server).post('/v1/events').set('Authorization', `Bearer ${INGEST}`).send(batch);
      assert.equal(res.status, 202);
      assert.deepEqual(res.body.rejected, []);
    }
    await svc.ingest.batcher.flush();
  }
  raw = (
    await svc.driver.query<Raw>({
      name: 'test.raw',
      sql: `SELECT event_id, toString(type) AS type, toUnixTimestamp64Milli(ts) AS ms, toString(tenant) AS tenant,
                   toString(integration) AS integration, connection, toString(flow) AS flow, run,
                   toString(failure_category) AS failure_category, toString(failure_code) AS failure_code, message, records_total
            FROM events FINAL`,
    })
  ).map((r) => ({ ...r, ms: Number(r.ms), records_total: Number(r.records_total) }));
});
after(async () => svc.stop());

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const flowId = (r: { tenant: string; integration: string; connection: string; flow: string }) => [r.tenant, r.integration, r.connection, r.flow].join('|');
const isRunEnd = (t: string) => t === 'run.succeeded' || t === 'run.failed';
const isFailure = (t: string) => t === 'run.failed' || t === 'record.failed';

/** Counts of one flow's raw rows in [from, to). */
function rawCounts(rows: Raw[], from: number, to: number): FlowCounts {
  // A run that succeeded with failed records is `partial`, not `succeeded`.
  const withFailedRecords = new Set(rows.filter((r) => r.type === 'record.failed').map((r) => r.run));
  const c: FlowCounts = { runs: { total: 0, succeeded: 0, partial: 0, failed: 0 }, records: { synced: 0, failed: 0, skipped: 0 }, failures: { infra: 0, endpoint: 0, data: 0 }, failureCodes: {} };
  for (const r of rows) {
    if (r.ms < from || r.ms >= to) continue;
    if (isRunEnd(r.type)) c.runs.total++;
    if (r.type === 'run.succeeded') c.runs[withFailedRecords.has(r.run) ? 'partial' : 'succeeded']++;
    if (r.type === 'run.failed') c.runs.failed++;
    if (r.type === 'record.synced') c.records.synced++;
    if (r.type === 'record.failed') c.records.failed++;
    if (r.type === 'record.skipped') c.records.skipped++;
    if (isFailure(r.type)) {
      c.failures[r.failure_category as 'infra' | 'endpoint' | 'data']++;
      const code = `${r.failure_category}.${r.failure_code}`;
      c.failureCodes[code] = (c.failureCodes[code] ?? 0) + 1;
    }
  }
  return c;
}

/** The all-time state of one flow from its raw rows (what flow_state must hold). */
function rawState(rows: Raw[]): FlowState {
  const [first] = rows;
  const runEvents = rows.filter((r) => r.type.startsWith('run.'));
  const max = (xs: number[]) => (xs.length ? Math.max(...xs) : null);
  const ends = rows
    .filter((r) => isRunEnd(r.type))
    .sort((a, b) => b.ms - a.ms || cmp(a.run, b.run) || cmp(a.type, b.type))
    .slice(0, 20);
  const seen = new Set<string>();
  const recentRuns: RecentRun[] = [];
  for (const e of ends) {
    if (seen.has(e.run)) continue;
    seen.add(e.run);
    const failed = e.type === 'run.failed';
    recentRuns.push({ endedAt: e.ms, run: e.run, outcome: failed ? 'failed' : 'succeeded', failure: e.failure_category ? { category: e.failure_category, code: e.failure_code, message: e.message.slice(0, 200) } : null });
  }
  const records = rows.filter((r) => r.type.startsWith('record.')).sort((a, b) => b.ms - a.ms || cmp(b.event_id, a.event_id));
  const last = records[0];
  return {
    tenant: first.tenant,
    integration: first.integration,
    connection: first.connection,
    flow: first.flow,
    firstSeenAt: Math.min(...rows.map((r) => r.ms)),
    lastRunAt: max(runEvents.map((r) => r.ms)),
    lastSuccessAt: max(rows.filter((r) => r.type === 'run.succeeded').map((r) => r.ms)),
    recentRuns,
    lastRecord: last ? { status: last.type.slice('record.'.length), failure: last.failure_category ? { category: last.failure_category, code: last.failure_code, message: last.message.slice(0, 200) } : null } : null,
  };
}

/** Latest event of the given types by (time, event id), as { type, at }. */
function latestOf(rows: Raw[], types: string[]) {
  const hit = rows.filter((r) => types.includes(r.type)).sort((a, b) => b.ms - a.ms || cmp(b.event_id, a.event_id))[0];
  return hit ? { type: hit.type, at: hit.ms } : null;
}

const group = <T>(xs: T[], key: (x: T) => string) => {
  const m = new Map<string, T[]>();
  for (const x of xs) m.set(key(x), [...(m.get(key(x)) ?? []), x]);
  return m;
};

describe('health figures equal a recount from raw events', () => {
  const windows = [
    { name: 'default 24h', query: {}, from: () => NOW - 24 * H },
    { name: '7d', query: { window: '7d' }, from: () => NOW - 7 * D },
    { name: 'from/to at odd minutes', query: { from: new Date(NOW - 9 * D - 17 * 60_000).toISOString(), to: new Date(NOW - 2 * D + 23 * 60_000 + 456).toISOString() }, from: () => NOW - 9 * D - 17 * 60_000 },
    { name: 'under one hour', query: { from: new Date(NOW - 5 * D - 50 * 60_000).toISOString(), to: new Date(NOW - 5 * D - 10 * 60_000).toISOString() }, from: () => NOW - 5 * D - 50 * 60_000 },
  ];

  for (const w of windows) {
    test(`runs, records, failures, last run and last success per flow (${w.name})`, async () => {
      const to = 'to' in w.query ? Date.parse(w.query.to as string) : null;
      for (const tenant of ['acme', 'globex', 'initech', 'umbrella']) {
        const res = await request(svc.server).get('/v1/health').query({ tenant, ...w.query }).set('Authorization', `Bearer ${ADMIN}`);
        assert.equal(res.status, 200, JSON.stringify(res.body));
        const end = to ?? Date.parse(res.body.window.to);
        const flows = group(raw.filter((r) => r.tenant === tenant && (r.type.startsWith('run.') || r.type.startsWith('record.'))), flowId);
        const got = res.body.connections.flatMap((c: { flows: unknown[] }) => c.flows);
        assert.equal(got.length, flows.size, `${tenant}: one health entry per flow`);
        for (const f of got) {
          const rows = flows.get(flowId({ ...f, connection: f.connection ?? '' }))!;
          assert.ok(rows, `${tenant} ${f.integration} ${f.flow} exists in raw rows`);
          const c = rawCounts(rows, w.from(), end);
          const s = rawState(rows);
          const where = `${tenant}/${f.integration}/${f.flow}`;
          assert.deepEqual(f.runs, c.runs, `${where} runs`);
          assert.deepEqual(f.records, c.records, `${where} records`);
          assert.deepEqual(f.failures, c.failures, `${where} failures`);
          assert.deepEqual(f.failure_codes, c.failureCodes, `${where} failure codes`);
          assert.equal(f.last_run_at, s.lastRunAt === null ? null : new Date(s.lastRunAt).toISOString(), `${where} last_run_at`);
          assert.equal(f.last_success_at, s.lastSuccessAt === null ? null : new Date(s.lastSuccessAt).toISOString(), `${where} last_success_at`);
          assert.equal(f.success_rate, c.runs.total ? Math.round((c.runs.succeeded / c.runs.total) * 10_000) / 10_000 : null);
        }
      }
    });
  }

  test('status, reasons and cadence equal the rules applied to state recomputed from raw rows', async () => {
    const settings = svc.config.health;
    const range = { from: new Date(NOW - 3 * D - 5 * 60_000), to: new Date(NOW) };
    const windowLabel = 'in the last 3d';
    const got = await getHealth(svc.driver, settings, { range, windowLabel, now: NOW + 2 * H });
    const byConnection = group(raw, (r) => [r.tenant, r.integration, r.connection].join('|'));
    assert.equal(got.length, [...byConnection.values()].filter((rows) => rows.some((r) => /^(run|record)\.|^integration\.(enabled|disabled|uninstalled|authorized)$|^auth\./.test(r.type))).length);
    const statuses = new Set<string>();
    for (const conn of got) {
      const rows = byConnection.get([conn.tenant, conn.integration, conn.connection ?? ''].join('|'))!;
      const connection = {
        lifecycle: latestOf(rows, ['integration.enabled', 'integration.disabled', 'integration.uninstalled']),
        auth: latestOf(rows, ['auth.expired', 'auth.refreshed', 'integration.authorized']),
      };
      const flows = [...group(rows.filter((r) => /^(run|record)\./.test(r.type)), flowId).values()]
        .map((fr) => ({ flow: fr[0].flow, ...judgeFlow({ state: rawState(fr), counts: rawCounts(fr, range.from.getTime(), range.to.getTime()), connection, settings, now: NOW + 2 * H, windowLabel }) }))
        .sort((a, b) => a.flow.localeCompare(b.flow));
      const expected = judgeConnection(connection, flows);
      assert.equal(conn.status, expected.status, `${conn.tenant}/${conn.integration}`);
      assert.deepEqual(conn.reasons, expected.reasons);
      statuses.add(conn.status);
      assert.deepEqual(
        conn.flows.map((f) => ({ flow: f.flow, status: f.status, reasons: f.reasons, cadence: f.cadence_seconds })),
        flows.map((f) => ({ flow: f.flow, status: f.status, reasons: f.reasons, cadence: f.cadence.seconds })),
      );
    }
    assert.ok(statuses.size >= 2, `the workload exercises several statuses (${[...statuses]})`);
  });

  test('a tenant is reported only from its own rows, and an unknown tenant has no connections', async () => {
    const res = await request(svc.server).get('/v1/health').query({ tenant: 'nobody', window: '14d' }).set('Authorization', `Bearer ${ADMIN}`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.connections, []);
    const all = await request(svc.server).get('/v1/health').query({ window: '14d' }).set('Authorization', `Bearer ${ADMIN}`);
    assert.ok(new Set(all.body.connections.map((c: { tenant: string }) => c.tenant)).size >= 2, 'without tenant, admin sees every tenant');
  });
});

describe('the runs list equals a recount from raw events', () => {
  function rawRuns(rows: Raw[], from: number, to: number) {
    const runs = [...group(rows.filter((r) => r.run !== '' && /^(run|record)\./.test(r.type)), (r) => `${flowId(r)}|${r.run}`).values()].map((rs) => {
      const first = Math.min(...rs.map((r) => r.ms));
      const starts = rs.filter((r) => r.type === 'run.started').map((r) => r.ms);
      const started = starts.length ? Math.min(...starts) : first;
      const end = rs.filter((r) => isRunEnd(r.type)).sort((a, b) => b.ms - a.ms || cmp(b.event_id, a.event_id))[0];
      const count = (pred: (r: Raw) => boolean) => rs.filter(pred).length;
      const failures = (cat: string) => count((r) => isFailure(r.type) && r.failure_category === cat);
      return {
        run: rs[0].run,
        tenant: rs[0].tenant,
        integration: rs[0].integration,
        connection: rs[0].connection || null,
        flow: rs[0].flow,
        started_at: new Date(started).toISOString(),
        ended_at: end ? new Date(end.ms).toISOString() : null,
        duration_ms: end ? end.ms - started : null,
        // A finished run with failed records is `partial`, whatever its run.succeeded says.
        outcome: !end ? 'running' : end.type === 'run.failed' ? 'failed' : rs.some((r) => r.type === 'record.failed') ? 'partial' : 'succeeded',
        records_total: Math.max(...rs.map((r) => r.records_total)),
        records: { synced: count((r) => r.type === 'record.synced'), failed: count((r) => r.type === 'record.failed'), skipped: count((r) => r.type === 'record.skipped') },
        failures: { infra: failures('infra'), endpoint: failures('endpoint'), data: failures('data') },
        failure: end?.type === 'run.failed' ? { category: end.failure_category, code: end.failure_code, message: end.message } : null,
        first_seen_at: new Date(first).toISOString(),
        last_seen_at: new Date(Math.max(...rs.map((r) => r.ms))).toISOString(),
        startedMs: started,
      };
    });
    return runs
      .filter((r) => r.startedMs >= from && r.startedMs < to)
      .sort((a, b) => b.startedMs - a.startedMs || cmp(b.run, a.run))
      .map(({ startedMs: _s, ...r }) => r);
  }

  for (const [name, from, to] of [
    ['the whole workload', NOW - 20 * D, NOW],
    ['a window that cuts runs at its edges', NOW - 6 * D - 1234, NOW - 2 * D + 777],
  ] as const) {
    test(`every run, newest first, with outcome, duration and counts (${name})`, async () => {
      for (const tenant of ['acme', 'globex', 'initech', 'umbrella']) {
        const expected = rawRuns(raw.filter((r) => r.tenant === tenant), from, to);
        const got = await listRuns(svc.driver, { tenant, range: { from: new Date(from), to: new Date(to) }, limit: 1000 });
        assert.deepEqual(got, expected, tenant);
      }
    });
  }

  test('over HTTP, filtered by integration and flow and limited, newest first', async () => {
    const sample = raw.find((r) => r.tenant === 'acme' && r.type === 'run.succeeded') ?? raw.find((r) => r.type === 'run.succeeded')!;
    const res = await request(svc.server)
      .get('/v1/runs')
      .query({ tenant: sample.tenant, integration: sample.integration, flow: sample.flow, window: '20d', limit: 5 })
      .set('Authorization', `Bearer ${ADMIN}`);
    assert.equal(res.status, 200);
    const expected = rawRuns(raw.filter((r) => r.tenant === sample.tenant && r.integration === sample.integration && r.flow === sample.flow), Date.parse(res.body.window.from), Date.parse(res.body.window.to)).slice(0, 5);
    assert.deepEqual(res.body.runs, expected);
  });
});
