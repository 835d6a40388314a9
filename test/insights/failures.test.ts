import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { startTestService, type TestService } from '../support/service.js';

const ADMIN = 'admin-key-0123456789abcdef';
const INGEST = 'ingest-key-0123456789abcdef';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Midnight UTC ten days ago: every scenario happens at fixed offsets from it. */
const BASE = Math.floor(Date.now() / DAY) * DAY - 10 * DAY;
const at = (hours: number, minutes = 0) => new Date(BASE + hours * HOUR + minutes * 60_000).toISOString();

let svc: TestService;
let n = 0;

async function send(events: Record<string, unknown>[]) {
  const body = events.map((e) => ({ id: `f-${n++}`, integration: 'salesforce', flow: 'orders.export', ...e }));
  const res = await request(svc.server).post('/v1/events').set('Authorization', `Bearer ${INGEST}`).send(body);
  assert.equal(res.status, 202);
  assert.deepEqual(res.body.rejected, []);
  await svc.ingest.batcher.flush();
}

const failures = (query: Record<string, string>, key = ADMIN) =>
  request(svc.server).get('/v1/failures').query(query).set('Authorization', `Bearer ${key}`);

const recordFailed = (tenant: string, run: string, id: string, time: string, error: Record<string, unknown>, over: Record<string, unknown> = {}) => ({
  type: 'record.failed',
  tenant,
  run,
  time,
  record: { id, type: 'order', value: 100 },
  error,
  ...over,
});

const VALIDATION = { message: 'email is required', http_status: 422 };
const RATE_LIMITED = { message: 'Too Many Requests', http_status: 429 };

before(async () => {
  svc = await startTestService({ SYNCWATCH_ADMIN_KEY: ADMIN, SYNCWATCH_INGEST_KEY: INGEST });
  // acme, day 0: ORD-1 fails validation twice (retried across runs), ORD-2 once; one
  // record is rate limited; run-3 crashes. Posted newest first: arrival order must not matter.
  await send([
    { type: 'run.failed', tenant: 'acme', run: 'run-3', time: at(5, 10), error: { category: 'infra', code: 'crash', message: 'worker exited' } },
    recordFailed('acme', 'run-2', 'ORD-1', at(4, 30), { message: 'email is still required', http_status: 422 }),
    recordFailed('acme', 'run-2', 'ORD-9', at(4, 20), RATE_LIMITED),
    recordFailed('acme', 'run-1', 'ORD-2', at(2, 15), VALIDATION),
    recordFailed('acme', 'run-1', 'ORD-1', at(2, 5), VALIDATION),
    { type: 'record.synced', tenant: 'acme', run: 'run-2', time: at(4, 31), record: { id: 'ORD-2', type: 'order', value: 100 } },
  ]);
  // globex has failures of its own in the same hours, on a record with the same id as acme's.
  await send([
    recordFailed('globex', 'g-1', 'ORD-1', at(2, 40), VALIDATION),
    recordFailed('globex', 'g-1', 'ORD-7', at(3, 0), VALIDATION, { integration: 'hubspot', flow: 'contacts.import' }),
  ]);
  // initech, day 2: failures on both sides of partial-hour window edges.
  await send(
    ['10:15', '10:45', '11:30', '12:59', '13:45', '13:55'].map((hm, i) => {
      const [h, m] = hm.split(':').map(Number);
      return recordFailed('initech', 'i-1', `INV-${i}`, at(48 + h, m), { message: 'Service Unavailable', http_status: 503 });
    }),
  );
  // umbrella, day 4: twelve records fail the same way; only the ten latest are examples.
  await send(Array.from({ length: 12 }, (_, i) => recordFailed('umbrella', 'u-1', `C-${String(i).padStart(2, '0')}`, at(96 + i, 0), VALIDATION)));
});
after(async () => svc.stop());

describe('GET /v1/failures', () => {
  test('groups by category and code with counts, affected records or runs, and first/last seen', async () => {
    const res = await failures({ tenant: 'acme', from: at(0), to: at(24) });
    assert.equal(res.status, 200);
    assert.equal(res.body.total, 5);
    assert.deepEqual(res.body.by_category, { infra: 1, endpoint: 1, data: 3 });
    const groups = res.body.groups.map((g: Record<string, unknown>) => ({ ...g, examples: undefined }));
    assert.deepEqual(groups, [
      { category: 'data', code: 'validation', count: 3, affected_records: 2, affected_runs: 0, first_seen: at(2, 5), last_seen: at(4, 30), examples: undefined },
      { category: 'endpoint', code: 'rate_limited', count: 1, affected_records: 1, affected_runs: 0, first_seen: at(4, 20), last_seen: at(4, 20), examples: undefined },
      { category: 'infra', code: 'crash', count: 1, affected_records: 0, affected_runs: 1, first_seen: at(5, 10), last_seen: at(5, 10), examples: undefined },
    ]);
  });

  test('examples name the business ids and their latest message, latest first, one per record', async () => {
    const res = await failures({ tenant: 'acme', from: at(0), to: at(24) });
    const byCode = Object.fromEntries(res.body.groups.map((g: { code: string; examples: unknown[] }) => [g.code, g.examples]));
    assert.deepEqual(byCode.validation, [
      { tenant: 'acme', integration: 'salesforce', flow: 'orders.export', record_id: 'ORD-1', run: 'run-2', message: 'email is still required', time: at(4, 30) },
      { tenant: 'acme', integration: 'salesforce', flow: 'orders.export', record_id: 'ORD-2', run: 'run-1', message: 'email is required', time: at(2, 15) },
    ]);
    assert.deepEqual(byCode.crash, [
      { tenant: 'acme', integration: 'salesforce', flow: 'orders.export', record_id: null, run: 'run-3', message: 'worker exited', time: at(5, 10) },
    ]);
  });

  test('at most 10 examples: the latest ones', async () => {
    const res = await failures({ tenant: 'umbrella', from: at(96), to: at(120) });
    const [group] = res.body.groups;
    assert.equal(group.count, 12);
    assert.equal(group.affected_records, 12);
    assert.deepEqual(
      group.examples.map((e: { record_id: string }) => e.record_id),
      ['C-11', 'C-10', 'C-09', 'C-08', 'C-07', 'C-06', 'C-05', 'C-04', 'C-03', 'C-02'],
    );
  });

  test('a window with partial hours at both ends counts exactly the failures inside it', async () => {
    const res = await failures({ tenant: 'initech', from: at(48 + 10, 30), to: at(48 + 13, 50) });
    assert.equal(res.body.total, 4);
    const [group] = res.body.groups;
    assert.equal(group.category, 'endpoint');
    assert.equal(group.affected_records, 4);
    assert.equal(group.first_seen, at(48 + 10, 45));
    assert.equal(group.last_seen, at(48 + 13, 45));
    assert.deepEqual(
      res.body.series.map((p: { time: string; total: number }) => [p.time, p.total]),
      [
        [at(48 + 10), 1],
        [at(48 + 11), 1],
        [at(48 + 12), 1],
        [at(48 + 13), 1],
      ],
    );
  });

  test('the series is hourly up to 48 hours, daily beyond, zero-filled, and sums to the total', async () => {
    const hourly = await failures({ tenant: 'acme', from: at(0), to: at(24) });
    assert.equal(hourly.body.bucket, 'hour');
    assert.equal(hourly.body.series.length, 24);
    assert.deepEqual(hourly.body.series[2], { time: at(2), total: 2, infra: 0, endpoint: 0, data: 2 });
    assert.deepEqual(hourly.body.series[3], { time: at(3), total: 0, infra: 0, endpoint: 0, data: 0 });
    assert.deepEqual(hourly.body.series[4], { time: at(4), total: 2, infra: 0, endpoint: 1, data: 1 });
    const daily = await failures({ from: at(0), to: at(7 * 24) });
    assert.equal(daily.body.bucket, 'day');
    assert.equal(daily.body.series.length, 7);
    const sum = daily.body.series.reduce((s: number, p: { total: number }) => s + p.total, 0);
    assert.equal(sum, daily.body.total);
    assert.equal(daily.body.total, 5 + 2 + 6 + 12);
    assert.deepEqual(daily.body.series[0], { time: at(0), total: 7, infra: 1, endpoint: 1, data: 5 });
    const chosen = await failures({ tenant: 'acme', from: at(0), to: at(7 * 24), bucket: 'hour' });
    assert.equal(chosen.body.series.length, 7 * 24);
  });

  test('without a tenant it covers every tenant, and counts the same id at two tenants as two records', async () => {
    const res = await failures({ from: at(0), to: at(24), category: 'data' });
    assert.equal(res.body.total, 5);
    assert.deepEqual(res.body.by_category, { infra: 0, endpoint: 0, data: 5 });
    assert.equal(res.body.groups[0].affected_records, 4); // acme ORD-1, ORD-2; globex ORD-1, ORD-7
    const tenants = new Set(res.body.groups[0].examples.map((e: { tenant: string }) => e.tenant));
    assert.deepEqual([...tenants].sort(), ['acme', 'globex']);
  });

  test('filters by integration, category and code', async () => {
    const hubspot = await failures({ tenant: 'globex', integration: 'hubspot', from: at(0), to: at(24) });
    assert.equal(hubspot.body.total, 1);
    assert.equal(hubspot.body.groups[0].examples[0].record_id, 'ORD-7');
    const code = await failures({ tenant: 'acme', code: 'rate_limited', from: at(0), to: at(24) });
    assert.deepEqual(code.body.groups.map((g: { code: string }) => g.code), ['rate_limited']);
    const category = await failures({ tenant: 'acme', category: 'infra', from: at(0), to: at(24) });
    assert.equal(category.body.total, 1);
  });

  test('no data is zeros and an empty list, not an error', async () => {
    const res = await failures({ tenant: 'nobody', window: '24h' });
    assert.equal(res.status, 200);
    assert.equal(res.body.total, 0);
    assert.deepEqual(res.body.groups, []);
    assert.deepEqual(res.body.by_category, { infra: 0, endpoint: 0, data: 0 });
    assert.ok(res.body.series.length >= 24 && res.body.series.length <= 25);
    assert.ok(res.body.series.every((p: { total: number }) => p.total === 0));
  });

  test('bad parameters are a 400 that names the parameter; no key is a 401', async () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ category: 'network' }, /^category:/],
      [{ window: 'yesterday' }, /^window:/],
      [{ from: 'last tuesday' }, /^from:/],
      [{ from: at(5), to: at(1) }, /^from: must be before to/],
      [{ bucket: 'minute' }, /^bucket:/],
      [{ bucket: 'hour', window: '60d' }, /^bucket: hourly buckets cover at most 31 days/],
      [{ tenant: 'has space' }, /^tenant:/],
    ];
    for (const [query, message] of cases) {
      const res = await failures(query);
      assert.equal(res.status, 400, JSON.stringify(query));
      assert.equal(res.body.error.code, 'invalid_parameter');
      assert.match(res.body.error.message, message);
    }
    assert.equal((await failures({ tenant: 'acme' }, 'wrong-key-0123456789abcdef')).status, 401);
    assert.equal((await failures({ tenant: 'acme' }, INGEST)).status, 403);
  });
});
