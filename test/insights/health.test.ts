import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { startTestService, type TestService } from '../support/service.js';

// Each status and each reason of docs/api/health.md#the-rules is one situation built from posted events,
// each in a tenant of its own, with times relative to now.

const ADMIN = 'admin-key-0123456789abcdef';
const INGEST = 'ingest-key-0123456789abcdef';
const NOW = Date.now();
const MIN = 60_000;

let svc: TestService;
let configDir: string;

before(async () => {
  configDir = mkdtempSync(path.join(tmpdir(), 'syncwatch-health-'));
  const config = path.join(configDir, 'syncwatch.yaml');
  writeFileSync(config, 'health:\n  cadences:\n    - integration: netsuite\n      flow: orders.export\n      seconds: 3600\n');
  svc = await startTestService({ SYNCWATCH_ADMIN_KEY: ADMIN, SYNCWATCH_INGEST_KEY: INGEST, SYNCWATCH_CONFIG: config });
});
after(async () => {
  await svc.stop();
  rmSync(configDir, { recursive: true, force: true });
});

type Ev = Record<string, unknown>;
interface Flow { tenant: string; integration?: string; flow?: string; connection?: string }
interface Rec { id?: string; status: 'synced' | 'failed' | 'skipped'; error?: Ev }

const at = (minutesAgo: number) => new Date(NOW - minutesAgo * MIN).toISOString();
const DATA_ERROR = { http_status: 422, message: 'email is required' };
const INFRA_ERROR = { category: 'infra', code: 'crash', message: 'worker crashed' };
let seq = 0;

/** One run ending `endMinutesAgo`: run.started a minute before, its records, then the outcome. */
function run(f: Flow, endMinutesAgo: number, outcome: 'succeeded' | 'failed', records: Rec[] = [{ status: 'synced' }], error?: Ev): Ev[] {
  const base = { tenant: f.tenant, integration: f.integration ?? 'salesforce', flow: f.flow ?? 'orders.export', ...(f.connection ? { connection: f.connection } : {}) };
  const id = `run-${++seq}`;
  const end = NOW - endMinutesAgo * MIN;
  const events: Ev[] = [{ ...base, type: 'run.started', run: id, time: new Date(end - MIN).toISOString() }];
  records.forEach((r, i) => {
    events.push({
      ...base,
      type: `record.${r.status}`,
      run: id,
      time: new Date(end - MIN + (i + 1) * 50).toISOString(),
      record: { id: r.id ?? `REC-${seq}-${i}`, type: 'order', value: 10 },
      ...(r.status === 'failed' ? { error: r.error ?? DATA_ERROR } : {}),
      ...(r.status === 'skipped' ? { reason: 'unchanged' } : {}),
    });
  });
  events.push({ ...base, type: `run.${outcome}`, run: id, time: new Date(end).toISOString(), records_total: records.length, ...(outcome === 'failed' ? { error: error ?? INFRA_ERROR } : {}) });
  return events;
}

/** `n` successful runs every `everyMinutes`, the latest ending `latestMinutesAgo`. */
function regular(f: Flow, n: number, everyMinutes: number, latestMinutesAgo: number, records: Rec[] = [{ status: 'synced' }]): Ev[] {
  return Array.from({ length: n }, (_, k) => run(f, latestMinutesAgo + k * everyMinutes, 'succeeded', records)).flat();
}

const synced = (n: number): Rec[] => Array.from({ length: n }, () => ({ status: 'synced' as const }));
const lifecycle = (f: Flow, type: string, minutesAgo: number): Ev => ({ tenant: f.tenant, integration: f.integration ?? 'salesforce', type, time: at(minutesAgo) });

async function post(events: Ev[]): Promise<void> {
  const res = await request(svc.server).post('/v1/events').set('Authorization', `Bearer ${INGEST}`).send(events);
  assert.equal(res.status, 202);
  assert.deepEqual(res.body.rejected, []);
  await svc.ingest.batcher.flush();
}

async function health(query: Record<string, string>) {
  const res = await request(svc.server).get('/v1/health').query(query).set('Authorization', `Bearer ${ADMIN}`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.connections;
}

/** Posts the events and returns the tenant's only connection. */
async function only(tenant: string, events: Ev[], query: Record<string, string> = {}) {
  await post(events);
  const connections = await health({ tenant, ...query });
  assert.equal(connections.length, 1, JSON.stringify(connections));
  return connections[0];
}

const codes = (x: { reasons: { code: string }[] }) => x.reasons.map((r) => r.code);

describe('GET /v1/health: statuses and reasons', () => {
  test('a tenant with no data has no connections: an empty list, not an error', async () => {
    assert.deepEqual(await health({ tenant: 'nobody-at-all' }), []);
  });

  test('unknown: a connection that reported no runs or records yet, with zeros and nulls', async () => {
    const c = await only('t-unknown', [lifecycle({ tenant: 't-unknown' }, 'integration.enabled', 30)]);
    assert.equal(c.status, 'unknown');
    assert.deepEqual(c.reasons, [{ code: 'no_data', message: 'no runs or records reported yet' }]);
    assert.deepEqual(c.runs, { total: 0, succeeded: 0, partial: 0, failed: 0 });
    assert.deepEqual(c.records, { synced: 0, failed: 0, skipped: 0 });
    assert.deepEqual(c.failures, { infra: 0, endpoint: 0, data: 0 });
    assert.equal(c.last_run_at, null);
    assert.equal(c.last_success_at, null);
    assert.equal(c.cadence_seconds, null);
    assert.equal(c.success_rate, null);
    assert.deepEqual(c.flows, []);
  });

  test('healthy: hourly runs that succeed; cadence inferred from the run intervals', async () => {
    const c = await only('t-healthy', regular({ tenant: 't-healthy' }, 6, 60, 5, synced(3)));
    assert.equal(c.status, 'healthy');
    assert.deepEqual(c.reasons, []);
    assert.deepEqual(c.runs, { total: 6, succeeded: 6, partial: 0, failed: 0 });
    assert.deepEqual(c.records, { synced: 18, failed: 0, skipped: 0 });
    assert.equal(c.success_rate, 1);
    assert.equal(c.last_run_at, at(5));
    assert.equal(c.last_success_at, at(5));
    const [f] = c.flows;
    assert.equal(f.flow, 'orders.export');
    assert.equal(f.status, 'healthy');
    assert.equal(f.cadence_seconds, 3600);
    assert.equal(f.cadence_source, 'inferred');
  });

  test('a failure followed by a success is healthy again, and the failure still counts', async () => {
    const f = { tenant: 't-recovered' };
    const c = await only('t-recovered', [...run(f, 65, 'failed', [], { http_status: 503, message: 'Service Unavailable' }), ...run(f, 5, 'succeeded')]);
    assert.equal(c.status, 'healthy');
    assert.deepEqual(c.runs, { total: 2, succeeded: 1, partial: 0, failed: 1 });
    assert.deepEqual(c.failures, { infra: 0, endpoint: 1, data: 0 });
    assert.deepEqual(c.failure_codes, { 'endpoint.unavailable': 1 });
    assert.equal(c.success_rate, 0.5);
    assert.equal(c.last_success_at, at(5));
  });

  test('degraded · record_failure_rate: 1 % or more of record attempts failed', async () => {
    const f = { tenant: 't-rate' };
    const older = run(f, 125, 'succeeded', [...synced(6), ...Array.from({ length: 3 }, () => ({ status: 'failed' as const, error: { category: 'infra', code: 'resources', message: 'out of memory' } }))]);
    const c = await only('t-rate', [...older, ...regular(f, 2, 60, 5, synced(24))]);
    assert.equal(c.status, 'degraded');
    assert.deepEqual(codes(c), ['record_failure_rate']);
    assert.match(c.flows[0].reasons[0].message, /^5\.3% of record attempts failed in the last 24h \(3 of 57\)$/);
    assert.deepEqual(c.failures, { infra: 3, endpoint: 0, data: 0 });
  });

  test('degraded · data_failures: records the tenant can fix, even under 1 %', async () => {
    const f = { tenant: 't-data' };
    const c = await only('t-data', [...run(f, 185, 'succeeded', [...synced(30), { status: 'failed' }]), ...regular(f, 3, 60, 5, synced(30))]);
    assert.equal(c.status, 'degraded');
    assert.deepEqual(codes(c), ['data_failures']);
    assert.match(c.reasons[0].message, /^orders\.export: 1 data failure in the last 24h/);
    assert.equal(c.reasons[0].flow, 'orders.export');
    assert.deepEqual(c.failure_codes, { 'data.validation': 1 });
  });

  test('degraded · latest_run_failed: the latest run failed, for a reason that is not an endpoint', async () => {
    const f = { tenant: 't-lastfail' };
    const c = await only('t-lastfail', [...regular(f, 4, 60, 65), ...run(f, 5, 'failed', [], INFRA_ERROR)]);
    assert.equal(c.status, 'degraded');
    assert.deepEqual(codes(c), ['latest_run_failed']);
    assert.match(c.reasons[0].message, /the latest run failed \(infra · crash: worker crashed\)/);
  });

  test('degraded · late: no run for longer than the cadence', async () => {
    const c = await only('t-late', regular({ tenant: 't-late' }, 6, 10, 15));
    assert.equal(c.status, 'degraded');
    assert.deepEqual(codes(c), ['late']);
    assert.match(c.reasons[0].message, /no run for 15 minutes; runs are expected every 10 minutes/);
    assert.equal(c.cadence_seconds, 600);
  });

  test('stale: no successful run for more than twice the cadence', async () => {
    const c = await only('t-stale', regular({ tenant: 't-stale' }, 6, 10, 60));
    assert.equal(c.status, 'stale');
    assert.deepEqual(codes(c), ['no_recent_success', 'late']);
    assert.match(c.reasons[0].message, /no successful run for 1 hour; runs are expected every 10 minutes/);
  });

  test('failing · consecutive_failed_runs: the last 3 runs failed', async () => {
    const f = { tenant: 't-consecutive' };
    const failed = [45, 25, 5].flatMap((m) => run(f, m, 'failed', [], INFRA_ERROR));
    const c = await only('t-consecutive', [...regular(f, 3, 20, 65), ...failed]);
    assert.equal(c.status, 'failing');
    // Three failed runs at a 20-minute cadence also mean no success for over 2× the cadence.
    assert.deepEqual(codes(c), ['consecutive_failed_runs', 'no_recent_success']);
    assert.equal(c.flows[0].reasons[0].message, 'last 3 runs failed');
    assert.deepEqual(c.runs, { total: 6, succeeded: 3, partial: 0, failed: 3 });
    assert.equal(c.success_rate, 0.5);
  });

  test('failing · endpoint_failure: the latest run failed on the integrated system', async () => {
    const f = { tenant: 't-endpoint-run' };
    const c = await only('t-endpoint-run', [...regular(f, 4, 60, 65), ...run(f, 5, 'failed', [], { http_status: 503, message: 'Service Unavailable' })]);
    assert.equal(c.status, 'failing');
    assert.deepEqual(codes(c), ['endpoint_failure']);
    assert.match(c.flows[0].reasons[0].message, /^the latest run failed with an endpoint error \(endpoint · unavailable: Service Unavailable\)$/);
  });

  test('failing · endpoint_failure: the latest record failed on the integrated system', async () => {
    const f = { tenant: 't-endpoint-record' };
    const last = run(f, 5, 'succeeded', [...synced(40), { status: 'failed', error: { http_status: 429, message: 'Too Many Requests' } }]);
    const c = await only('t-endpoint-record', [...regular(f, 3, 60, 65, synced(40)), ...last]);
    assert.equal(c.status, 'failing');
    assert.deepEqual(codes(c), ['endpoint_failure']);
    assert.match(c.flows[0].reasons[0].message, /the latest record failed with an endpoint error \(endpoint · rate_limited: Too Many Requests\)/);
  });

  test('failing · auth_expired: an expiry after the last refresh; re-authorising clears it', async () => {
    const f = { tenant: 't-auth' };
    const runs = regular(f, 3, 60, 5);
    // Posted newest first: the latest event by time decides, not the insert order.
    await post([{ ...lifecycle(f, 'auth.expired', 30) }]);
    const c = await only('t-auth', [...runs, lifecycle(f, 'auth.refreshed', 120)]);
    assert.equal(c.status, 'failing');
    assert.deepEqual(codes(c), ['auth_expired']);
    assert.match(c.reasons[0].message, /authorisation expired at .*; it must be re-authorised/);
    assert.deepEqual(codes(c.flows[0]), ['auth_expired']);

    const again = await only('t-auth', [lifecycle(f, 'integration.authorized', 10)]);
    assert.equal(again.status, 'healthy');
  });

  test('failing · record_failure_rate_high: half or more of record attempts failed', async () => {
    const f = { tenant: 't-rate-high' };
    const failed: Rec[] = Array.from({ length: 4 }, () => ({ status: 'failed' }));
    const c = await only('t-rate-high', run(f, 5, 'succeeded', [...failed, ...synced(3)]));
    assert.equal(c.status, 'failing');
    assert.deepEqual(codes(c), ['record_failure_rate_high', 'data_failures']);
    assert.match(c.reasons[0].message, /57\.1% of record attempts failed in the last 24h \(4 of 7\)/);
  });

  test('disabled: the connection was disabled or uninstalled, whatever its runs say', async () => {
    const f = { tenant: 't-disabled' };
    const c = await only('t-disabled', [lifecycle(f, 'integration.enabled', 600), ...regular(f, 3, 60, 65), ...run(f, 5, 'failed', [], { http_status: 503 }), lifecycle(f, 'integration.disabled', 3)]);
    assert.equal(c.status, 'disabled');
    assert.deepEqual(c.reasons, [{ code: 'disabled', message: `the connection was disabled at ${at(3).slice(0, 16).replace("T", " ")} UTC` }]);
    assert.equal(c.flows[0].status, 'disabled');
    assert.deepEqual(c.runs, { total: 4, succeeded: 3, partial: 0, failed: 1 }, 'figures are still reported');

    const u = await only('t-uninstalled', [...regular({ tenant: 't-uninstalled' }, 2, 60, 5), lifecycle({ tenant: 't-uninstalled' }, 'integration.uninstalled', 1)]);
    assert.equal(u.status, 'disabled');
    assert.deepEqual(codes(u), ['uninstalled']);
  });

  test('disabled then re-enabled is judged on its runs again, even when the events arrive out of order', async () => {
    const f = { tenant: 't-reenabled' };
    await post([lifecycle(f, 'integration.enabled', 20), ...regular(f, 3, 60, 5)]);
    const c = await only('t-reenabled', [lifecycle(f, 'integration.disabled', 40)]);
    assert.equal(c.status, 'healthy');
  });

  test('events out of order: the latest run by event time decides, not the latest to arrive', async () => {
    const f = { tenant: 't-order' };
    await post(run(f, 5, 'succeeded'));
    const c = await only('t-order', [65, 45, 25].flatMap((m) => run(f, m, 'failed', [], INFRA_ERROR)));
    assert.equal(c.status, 'healthy');
    assert.deepEqual(c.runs, { total: 4, succeeded: 1, partial: 0, failed: 3 });
    assert.equal(c.last_run_at, at(5));
  });

  test('a connection is the worst of its flows, with the reasons of the flows at that status', async () => {
    const t = 't-worst';
    const c = await only(t, [...regular({ tenant: t, flow: 'contacts.import' }, 3, 60, 5), ...[45, 25, 5].flatMap((m) => run({ tenant: t }, m, 'failed', [], INFRA_ERROR))]);
    assert.equal(c.status, 'failing');
    assert.deepEqual(c.reasons[0], { code: 'consecutive_failed_runs', message: 'orders.export: last 3 runs failed', flow: 'orders.export', failure: { category: 'infra', code: 'crash' } });
    // Three runs are not yet evidence of a cadence (the flow is learning), so no staleness reason.
    assert.deepEqual(codes(c), ['consecutive_failed_runs'], 'only the reasons of the failing flow');
    assert.equal(c.flows.find((x: { flow: string }) => x.flow === 'orders.export').cadence_source, 'learning');
    assert.deepEqual(c.flows.map((x: { flow: string; status: string }) => [x.flow, x.status]), [['contacts.import', 'healthy'], ['orders.export', 'failing']]);
    assert.deepEqual(c.runs, { total: 6, succeeded: 3, partial: 0, failed: 3 });
  });

  test('cadence needs evidence: two runs 2 s apart are "learning", not a 2 s schedule, and the flow is not late', async () => {
    const t = 't-learning';
    const f = { tenant: t };
    const twoQuick = [...run(f, 1, 'succeeded'), ...run(f, 1 - 2 / 60, 'succeeded')];
    const c = await only(t, twoQuick);
    assert.equal(c.flows[0].cadence_source, 'learning');
    assert.equal(c.flows[0].cadence_seconds, null);
    assert.equal(c.status, 'healthy', JSON.stringify(c.reasons));
    // Five runs over more than 30 minutes are evidence: the cadence is inferred, and a late flow is late.
    const t2 = 't-evidence';
    const c2 = await only(t2, regular({ tenant: t2 }, 5, 10, 15));
    assert.equal(c2.flows[0].cadence_source, 'inferred');
    assert.equal(c2.flows[0].cadence_seconds, 600);
    assert.ok(codes(c2).includes('late'));
  });

  test('a configured cadence wins over the inferred one', async () => {
    const c = await only('t-configured', regular({ tenant: 't-configured', integration: 'netsuite' }, 6, 10, 15));
    assert.equal(c.flows[0].cadence_seconds, 3600);
    assert.equal(c.flows[0].cadence_source, 'configured');
    assert.equal(c.status, 'healthy', '15 minutes is not late for an hourly flow');
  });

  test('connections with an id are reported apart', async () => {
    const t = 't-two-connections';
    await post([...regular({ tenant: t, connection: 'eu' }, 3, 60, 5), ...[45, 25, 5].flatMap((m) => run({ tenant: t, connection: 'us' }, m, 'failed', [], INFRA_ERROR))]);
    const list = await health({ tenant: t });
    assert.deepEqual(list.map((x: { connection: string; status: string }) => [x.connection, x.status]), [['eu', 'healthy'], ['us', 'failing']]);
  });
});

describe('GET /v1/health: windows, filters and validation', () => {
  test('the window bounds the counts; last run and success are all-time', async () => {
    const f = { tenant: 't-window' };
    await post(regular(f, 6, 60, 5));
    const [c] = await health({ tenant: 't-window', window: '2h' });
    assert.deepEqual(c.runs, { total: 2, succeeded: 2, partial: 0, failed: 0 });
    assert.equal(c.last_run_at, at(5));
    const [all] = await health({ tenant: 't-window', from: at(600), to: at(0) });
    assert.equal(all.runs.total, 6);
  });

  test('integration and flow narrow the answer', async () => {
    const t = 't-filters';
    await post([...regular({ tenant: t }, 2, 60, 5), ...regular({ tenant: t, integration: 'hubspot', flow: 'deals.export' }, 2, 60, 5), ...regular({ tenant: t, integration: 'hubspot', flow: 'contacts.import' }, 2, 60, 5)]);
    assert.equal((await health({ tenant: t })).length, 2);
    const byIntegration = await health({ tenant: t, integration: 'hubspot' });
    assert.deepEqual(byIntegration.map((c: { integration: string }) => c.integration), ['hubspot']);
    assert.equal(byIntegration[0].flows.length, 2);
    const byFlow = await health({ tenant: t, flow: 'deals.export' });
    assert.deepEqual(byFlow.flatMap((c: { flows: { flow: string }[] }) => c.flows.map((x) => x.flow)), ['deals.export']);
  });

  test('bad parameters are a 400 naming the parameter; the admin key is required', async () => {
    const get = (query: Record<string, string>, key = ADMIN) => request(svc.server).get('/v1/health').query(query).set('Authorization', `Bearer ${key}`);
    for (const [query, name] of [
      [{ window: 'yesterday' }, 'window'],
      [{ from: 'last week' }, 'from'],
      [{ tenant: '' }, 'tenant'],
      [{ flow: 'x'.repeat(200) }, 'flow'],
      [{ from: at(60), window: '1h' }, 'window'],
    ] as const) {
      const res = await get(query);
      assert.equal(res.status, 400, JSON.stringify(query));
      assert.equal(res.body.error.code, 'invalid_parameter');
      assert.match(res.body.error.message, new RegExp(`^${name}:`));
    }
    assert.equal((await request(svc.server).get('/v1/health')).status, 401);
    assert.equal((await get({}, INGEST)).status, 403);
  });
});
