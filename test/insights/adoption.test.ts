import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { startTestService, type TestService } from '../support/service.js';

const ADMIN = 'admin-key-0123456789abcdef';
const INGEST = 'ingest-key-0123456789abcdef';
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const TO = Date.UTC(2026, 10, 20, 12, 0, 0);
const FROM = TO - 30 * DAY;
const at = (ms: number) => new Date(ms).toISOString();
const STEPS = ['viewed', 'install_started', 'authorized', 'configured', 'enabled'];

let svc: TestService;
let configDir: string;

before(async () => {
  configDir = mkdtempSync(path.join(tmpdir(), 'syncwatch-adoption-'));
  const configFile = path.join(configDir, 'syncwatch.yaml');
  writeFileSync(configFile, 'value:\n  reporting_currency: USD\n  reference_rates: false\n  rates:\n    EUR: 1.1\n');
  svc = await startTestService({ SYNCWATCH_ADMIN_KEY: ADMIN, SYNCWATCH_INGEST_KEY: INGEST, SYNCWATCH_CONFIG: configFile });
});
after(async () => {
  await svc.stop();
  rmSync(configDir, { recursive: true, force: true });
});

type Ev = Record<string, unknown>;

/** Posts events (in the order given) and waits until they are stored. */
async function send(events: Ev[]) {
  const res = await request(svc.server).post('/v1/events').set('Authorization', `Bearer ${INGEST}`).send(events);
  assert.equal(res.status, 202);
  assert.deepEqual(res.body.rejected, []);
  await svc.ingest.batcher.flush();
}

const lifecycle = (integration: string, tenant: string, step: string, time: number): Ev => ({
  type: `integration.${step}`,
  tenant,
  integration,
  time: at(time),
});
const run = (integration: string, tenant: string, outcome: 'succeeded' | 'failed', time: number, id = `run-${tenant}-${time}`): Ev => ({
  type: `run.${outcome}`,
  tenant,
  integration,
  flow: 'orders.export',
  run: id,
  time: at(time),
  ...(outcome === 'failed' ? { error: { http_status: 503, message: 'Service Unavailable' } } : {}),
});

function adoption(query: Record<string, string>, key = ADMIN) {
  return request(svc.server).get('/v1/adoption').query(query).set('Authorization', `Bearer ${key}`);
}

async function adoptionOf(integration: string, query: Record<string, string> = { from: at(FROM), to: at(TO) }) {
  const res = await adoption({ ...query, integration });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.body.integrations.length, 1);
  return res.body.integrations[0];
}

const counts = (item: { funnel: { connections: number }[] }) => item.funnel.map((s) => s.connections);
const medians = (item: { funnel: { median_seconds_from_previous: number | null }[] }) =>
  item.funnel.map((s) => s.median_seconds_from_previous);

describe('GET /v1/adoption', () => {
  test('with no data at all the answer is empty, not an error; a named integration gets zeros and an empty funnel', async () => {
    const res = await adoption({ from: at(FROM), to: at(TO), integration: 'nothing-here' });
    assert.equal(res.status, 200);
    const [item] = res.body.integrations;
    assert.equal(item.integration, 'nothing-here');
    assert.deepEqual(counts(item), [0, 0, 0, 0, 0, 0]);
    assert.deepEqual(item.funnel.map((s: { step: string }) => s.step), [...STEPS, 'first_successful_sync']);
    assert.ok(item.funnel.every((s: { conversion: unknown; median_seconds_from_previous: unknown }) => s.conversion === null && s.median_seconds_from_previous === null));
    assert.deepEqual(item.installs, { new: 0, total: 0 });
    assert.deepEqual(item.active_connections, { last_7d: 0, last_30d: 0 });
    assert.deepEqual(item.churned, { total: 0, in_period: 0 });
    assert.equal(item.records_moved, 0);
    assert.deepEqual(item.value_moved, { total: 0, currency: 'USD', by_currency: {}, unconverted_currencies: [] });
    // Every UTC day the period touches: 21 October to 20 November.
    assert.equal(item.daily_active_connections.length, 31);
    assert.ok(item.daily_active_connections.every((d: { connections: number }) => d.connections === 0));
    assert.deepEqual(res.body.ranking, [{ rank: 1, integration: 'nothing-here', active_connections_30d: 0, value_moved: 0 }]);

    const before2000 = await adoption({ from: '2001-01-01T00:00:00Z', to: '2001-01-02T00:00:00Z' });
    assert.equal(before2000.status, 200);
    assert.deepEqual(before2000.body.integrations, []);
    assert.deepEqual(before2000.body.ranking, []);
  });

  test('counted by cohort: a connection that entered the funnel before the period is not counted in it, so conversion stays <= 100% and medians use pairs inside the period', async () => {
    const events: Ev[] = [];
    // Three connections viewed 40 days before the period's end (before it began), install started inside it.
    for (const t of ['old1', 'old2', 'old3']) {
      events.push(lifecycle('cohort', t, 'viewed', TO - 40 * DAY), lifecycle('cohort', t, 'install_started', TO - 2 * DAY));
    }
    // One connection viewed and started inside the period, a day apart.
    events.push(lifecycle('cohort', 'new1', 'viewed', TO - 5 * DAY), lifecycle('cohort', 'new1', 'install_started', TO - 4 * DAY));
    await send(events);
    const item = await adoptionOf('cohort');
    assert.deepEqual(counts(item), [1, 1, 0, 0, 0, 0]);
    for (const s of item.funnel) assert.ok(s.conversion === null || s.conversion <= 1, `${s.step}: ${s.conversion}`);
    // Only new1's pair is timed: one day, not the 38 days of pairs that began before the period.
    assert.equal(item.funnel[1].median_seconds_from_previous, 86_400);
  });

  test('the funnel shows where connections drop off: counts, step conversion and median time from the previous step', async () => {
    // Tenant t<i> goes through steps 0..i, taking (i+1) minutes per step.
    const events: Ev[] = [];
    const base = TO - 10 * DAY;
    for (let i = 0; i < 6; i++) {
      for (let k = 0; k <= i; k++) {
        const time = base + k * (i + 1) * MIN;
        events.push(k < 5 ? lifecycle('dropoff', `t${i}`, STEPS[k], time) : run('dropoff', `t${i}`, 'succeeded', time));
      }
    }
    await send(events);
    const item = await adoptionOf('dropoff');
    assert.deepEqual(counts(item), [6, 5, 4, 3, 2, 1]);
    assert.deepEqual(item.funnel.map((s: { conversion: number | null }) => s.conversion), [null, 0.8333, 0.8, 0.75, 0.6667, 0.5]);
    // Step k is timed over tenants k..5, whose steps are (i+1) minutes apart.
    assert.deepEqual(medians(item), [null, 240, 270, 300, 330, 360]);
    assert.deepEqual(item.installs, { new: 2, total: 2 });
    assert.deepEqual(item.churned, { total: 0, in_period: 0 });
  });

  test('a connection that skipped a step still counts in later steps and passes the skipped one with the next', async () => {
    const base = TO - 5 * DAY;
    // No viewed, no configured event.
    await send([
      lifecycle('skipper', 'acme', 'install_started', base),
      lifecycle('skipper', 'acme', 'authorized', base + 10 * MIN),
      lifecycle('skipper', 'acme', 'enabled', base + 30 * MIN),
    ]);
    const item = await adoptionOf('skipper');
    assert.deepEqual(counts(item), [1, 1, 1, 1, 1, 0]);
    // Only steps recorded on both sides are timed: install_started → authorized.
    assert.deepEqual(medians(item), [null, null, 600, null, null, null]);
    assert.deepEqual(item.installs, { new: 1, total: 1 });
  });

  test('the first successful sync is the first succeeded run, after any failed ones', async () => {
    const base = TO - 3 * DAY;
    await send([
      ...STEPS.map((s, k) => lifecycle('firstsync', 'acme', s, base + k * MIN)),
      run('firstsync', 'acme', 'failed', base + 10 * MIN),
      run('firstsync', 'acme', 'failed', base + 20 * MIN),
      run('firstsync', 'acme', 'succeeded', base + 64 * MIN),
      run('firstsync', 'acme', 'succeeded', base + 90 * MIN),
    ]);
    const item = await adoptionOf('firstsync');
    assert.deepEqual(counts(item), [1, 1, 1, 1, 1, 1]);
    assert.equal(item.funnel[5].median_seconds_from_previous, 60 * 60);
    assert.deepEqual(item.active_connections, { last_7d: 1, last_30d: 1 });
  });

  test('disabled then re-enabled is not churned; disabled or uninstalled is; churn is the state as of `to`', async () => {
    const base = FROM - 20 * DAY;
    const install = (tenant: string) => STEPS.map((s, k) => lifecycle('churn', tenant, s, base + k * MIN));
    await send([
      ...install('back'),
      lifecycle('churn', 'back', 'disabled', TO - 10 * DAY),
      lifecycle('churn', 'back', 'enabled', TO - 9 * DAY),
      ...install('gone'),
      lifecycle('churn', 'gone', 'uninstalled', TO - 2 * DAY),
      ...install('paused'),
      lifecycle('churn', 'paused', 'disabled', FROM - 5 * DAY),
      // Re-enabled only after `to`: still churned when looking at the period.
      ...install('later'),
      lifecycle('churn', 'later', 'disabled', TO - DAY),
      lifecycle('churn', 'later', 'enabled', TO + HOUR),
    ]);
    const item = await adoptionOf('churn');
    assert.deepEqual(item.churned, { total: 3, in_period: 2 });
    // Installed before the period: counted in the total, not as new installs or funnel steps.
    assert.deepEqual(item.installs, { new: 0, total: 4 });
    assert.deepEqual(counts(item), [0, 0, 0, 0, 0, 0]);
    const now = await adoptionOf('churn', { from: at(FROM), to: at(TO + 2 * HOUR) });
    assert.deepEqual(now.churned, { total: 2, in_period: 1 });
  });

  test('events arriving out of order give the same answer as events in order', async () => {
    const base = TO - 4 * DAY;
    const history = [
      ...STEPS.map((s, k) => lifecycle('ooo', 'acme', s, base + k * 5 * MIN)),
      lifecycle('ooo', 'acme', 'disabled', base + DAY),
      lifecycle('ooo', 'acme', 'enabled', base + 2 * DAY),
      run('ooo', 'acme', 'succeeded', base + 2 * DAY + HOUR),
      run('ooo', 'acme', 'succeeded', base + 30 * MIN),
    ];
    // Newest first, one event per batch, so even the rollups' merges see them out of order.
    for (const e of [...history].reverse()) await send([e]);
    const item = await adoptionOf('ooo');
    assert.deepEqual(counts(item), [1, 1, 1, 1, 1, 1]);
    assert.deepEqual(medians(item), [null, 300, 300, 300, 300, 600]);
    assert.deepEqual(item.churned, { total: 0, in_period: 0 });
  });

  test('active connections count a successful run in the 7 and 30 days before `to`', async () => {
    await send([
      run('active', 'recent', 'succeeded', TO - 3 * DAY),
      run('active', 'month', 'succeeded', TO - 20 * DAY),
      run('active', 'month', 'failed', TO - 2 * DAY),
      run('active', 'old', 'succeeded', TO - 40 * DAY),
      run('active', 'edge', 'succeeded', TO - 7 * DAY - MIN),
      run('active', 'edge30', 'succeeded', TO - 30 * DAY - MIN),
      run('active', 'future', 'succeeded', TO + MIN),
    ]);
    const item = await adoptionOf('active');
    assert.deepEqual(item.active_connections, { last_7d: 1, last_30d: 3 });
    const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    const series = new Map(item.daily_active_connections.map((d: { date: string; connections: number }) => [d.date, d.connections]));
    assert.equal(series.get(day(TO - 3 * DAY)), 1);
    assert.equal(series.get(day(TO - 20 * DAY)), 1);
    assert.equal(series.get(day(TO - 2 * DAY)), 0);
    // A connection with runs but no lifecycle events still reaches the funnel with its first sync.
    // edge30's first sync is 1 minute before the period: not in it.
    assert.deepEqual(counts(item), [3, 3, 3, 3, 3, 3]);
    assert.deepEqual(medians(item), [null, null, null, null, null, null]);
  });

  test('records and value moved in the period, per currency and converted; the ranking orders by active connections then value', async () => {
    const synced = (integration: string, time: number, record: Ev): Ev => ({
      type: 'record.synced', tenant: 'acme', integration, flow: 'orders.export', run: 'r-1', time: at(time), record,
    });
    await send([
      synced('money', TO - DAY, { id: 'A', value: 100.25, currency: 'USD' }),
      synced('money', TO - DAY + MIN, { id: 'B', value: 200, currency: 'EUR' }),
      synced('money', TO - DAY + 2 * MIN, { id: 'C', value: 5000, currency: 'JPY' }),
      synced('money', TO - DAY + 3 * MIN, { id: 'D' }),
      synced('money', TO - MIN, { id: 'E', value: 0.5 }),
      synced('money', FROM - MIN, { id: 'OLD', value: 999, currency: 'USD' }),
      synced('money', TO, { id: 'AT-TO', value: 999, currency: 'USD' }),
      { type: 'record.failed', tenant: 'acme', integration: 'money', flow: 'orders.export', run: 'r-1', time: at(TO - DAY), record: { id: 'F', value: 50 }, error: { http_status: 422, message: 'email is required' } },
      run('money', 'acme', 'succeeded', TO - DAY),
      synced('money2', TO - DAY, { id: 'X', value: 10, currency: 'USD' }),
      run('money2', 'acme', 'succeeded', TO - DAY),
    ]);
    const item = await adoptionOf('money');
    assert.equal(item.records_moved, 5);
    assert.deepEqual(item.value_moved, {
      total: 320.75,
      currency: 'USD',
      by_currency: { EUR: 200, JPY: 5000, USD: 100.75 },
      unconverted_currencies: ['JPY'],
    });
    const res = await adoption({ from: at(FROM), to: at(TO) });
    const ranks = res.body.ranking.map((r: { integration: string }) => r.integration);
    assert.ok(ranks.indexOf('money') < ranks.indexOf('money2'), 'same active connections: more value ranks higher');
    assert.ok(ranks.indexOf('active') < ranks.indexOf('money'), 'more active connections ranks higher');
    assert.equal(res.body.ranking[0].integration, 'active');
    assert.deepEqual(res.body.ranking.map((r: { rank: number }) => r.rank), ranks.map((_: string, i: number) => i + 1));
    assert.equal(res.body.ranking[ranks.indexOf('money')].value_moved, 320.75);
  });

  test('the window defaults to 30 days and counts back from `to`', async () => {
    const res = await adoption({ to: at(TO) });
    assert.equal(res.status, 200);
    assert.equal(res.body.from, at(FROM));
    assert.equal(res.body.to, at(TO));
    const week = await adoption({ to: at(TO), window: '7d' });
    assert.equal(week.body.from, at(TO - 7 * DAY));
  });

  test('bad parameters are a 400 naming the parameter; reads need the admin key', async () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ window: 'lots' }, /^window:/],
      [{ from: 'yesterday' }, /^from:/],
      [{ to: '2026-13-45' }, /^to:/],
      [{ from: at(TO), to: at(FROM) }, /^from: must be before to/],
      [{ from: at(FROM), window: '7d' }, /^window:/],
      [{ integration: 'has space' }, /^integration:/],
      [{ window: '999d' }, /^window: at most 400 days/],
    ];
    for (const [query, message] of cases) {
      const res = await adoption(query);
      assert.equal(res.status, 400, JSON.stringify(query));
      assert.equal(res.body.error.code, 'invalid_parameter');
      assert.match(res.body.error.message, message);
    }
    assert.equal((await adoption({}, INGEST)).status, 403);
    assert.equal((await request(svc.server).get('/v1/adoption')).status, 401);
  });
});
