import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { startTestService, type TestService } from '../support/service.js';

const ADMIN = 'admin-key-0123456789abcdef';
const INGEST = 'ingest-key-0123456789abcdef';
const NOW = Date.now();
const MIN = 60_000;
const at = (minutesAgo: number, plusMs = 0) => new Date(NOW - minutesAgo * MIN + plusMs).toISOString();

let svc: TestService;

const base = { tenant: 'acme', integration: 'salesforce', flow: 'orders.export' };
const ev = (over: Record<string, unknown>) => ({ ...base, ...over });
const TRICKY = 'Bad "name", see line 2\nthen, more';

// run-1 (2 h ago): ORD-1 synced, ORD-2 failed (data), ORD-3 skipped; succeeded, so partial.
// run-2 (1 h ago): ORD-2 synced (the retry), ORD-4 failed with a message full of CSV trouble; failed (endpoint).
// run-3 (5 min ago): started, one record so far; still running. Events of run-2 are posted newest first.
const EVENTS = [
  ev({ type: 'run.started', run: 'run-1', time: at(120) }),
  ev({ type: 'record.synced', run: 'run-1', time: at(120, 100), record: { id: 'ORD-1', type: 'order', value: 1250.5, currency: 'EUR' } }),
  ev({ type: 'record.failed', run: 'run-1', time: at(120, 200), record: { id: 'ORD-2', type: 'order', value: 99 }, error: { http_status: 422, message: 'email is required' } }),
  ev({ type: 'record.skipped', run: 'run-1', time: at(120, 300), record: { id: 'ORD-3', type: 'order' }, reason: 'unchanged since last sync' }),
  ev({ type: 'run.succeeded', run: 'run-1', time: at(119), records_total: 3 }),
  ev({ type: 'run.failed', run: 'run-2', time: at(59), records_total: 2, error: { http_status: 503, message: 'Service Unavailable' } }),
  ev({ type: 'record.failed', run: 'run-2', time: at(60, 200), record: { id: '=ORD-4', type: 'order', value: 5 }, error: { category: 'data', code: 'mapping', message: TRICKY } }),
  ev({ type: 'record.synced', run: 'run-2', time: at(60, 100), record: { id: 'ORD-2', type: 'order', value: 99 } }),
  ev({ type: 'run.started', run: 'run-2', time: at(60) }),
  ev({ type: 'run.started', run: 'run-3', time: at(5) }),
  ev({ type: 'record.synced', run: 'run-3', time: at(5, 100), record: { id: 'ORD-5' } }),
  ev({ type: 'run.succeeded', integration: 'hubspot', flow: 'deals.export', run: 'run-h', time: at(30) }),
  ev({ type: 'run.succeeded', tenant: 'globex', run: 'run-g', time: at(30) }),
];

before(async () => {
  svc = await startTestService({ SYNCWATCH_ADMIN_KEY: ADMIN, SYNCWATCH_INGEST_KEY: INGEST });
  const res = await request(svc.server).post('/v1/events').set('Authorization', `Bearer ${INGEST}`).send(EVENTS);
  assert.deepEqual(res.body, { accepted: EVENTS.length, rejected: [] });
  await svc.ingest.batcher.flush();
});
after(async () => svc.stop());

const get = (path: string, query: Record<string, string | number> = {}, key = ADMIN) =>
  request(svc.server).get(path).query(query).set('Authorization', `Bearer ${key}`);

/** A small RFC 4180 reader, to check that what we write reads back as written. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(field), (field = '');
    else if (c === '\r' && text[i + 1] === '\n') row.push(field), rows.push(row), (row = []), (field = ''), i++;
    else field += c;
  }
  return rows;
}

describe('GET /v1/runs', () => {
  test('lists recent runs newest first, with outcome, duration, counts and why a run failed', async () => {
    const res = await get('/v1/runs', { tenant: 'acme', integration: 'salesforce' });
    assert.equal(res.status, 200);
    const runs = res.body.runs;
    assert.deepEqual(runs.map((r: { run: string }) => r.run), ['run-3', 'run-2', 'run-1']);
    const [r3, r2, r1] = runs;
    assert.equal(r3.outcome, 'running');
    assert.equal(r3.ended_at, null);
    assert.equal(r3.duration_ms, null);
    assert.deepEqual(r3.records, { synced: 1, failed: 0, skipped: 0 });
    assert.equal(r2.outcome, 'failed');
    assert.equal(r2.started_at, at(60));
    assert.equal(r2.ended_at, at(59));
    assert.equal(r2.duration_ms, MIN);
    assert.deepEqual(r2.failure, { category: 'endpoint', code: 'unavailable', message: 'Service Unavailable' });
    assert.deepEqual(r2.failures, { infra: 0, endpoint: 1, data: 1 });
    assert.deepEqual(r2.records, { synced: 1, failed: 1, skipped: 0 });
    assert.equal(r2.records_total, 2);
    assert.equal(r1.outcome, 'partial', 'run-1 succeeded with ORD-2 failed');
    assert.equal(r1.failure, null);
    assert.deepEqual(r1.records, { synced: 1, failed: 1, skipped: 1 });
    assert.equal(r1.connection, null);
    assert.equal(r1.flow, 'orders.export');
  });

  test('filters by flow, limits, and keeps to the window and the tenant', async () => {
    assert.deepEqual((await get('/v1/runs', { tenant: 'acme', flow: 'deals.export' })).body.runs.map((r: { run: string }) => r.run), ['run-h']);
    assert.deepEqual((await get('/v1/runs', { tenant: 'acme', limit: 2 })).body.runs.map((r: { run: string }) => r.run), ['run-3', 'run-h']);
    assert.deepEqual((await get('/v1/runs', { tenant: 'acme', window: '90m' })).body.runs.map((r: { run: string }) => r.run), ['run-3', 'run-h', 'run-2']);
    assert.deepEqual((await get('/v1/runs', { tenant: 'globex' })).body.runs.map((r: { run: string }) => r.run), ['run-g']);
    assert.deepEqual((await get('/v1/runs', { tenant: 'nobody' })).body.runs, []);
  });

  test('bad parameters are a 400 naming the parameter', async () => {
    for (const [query, name] of [
      [{ limit: 0 }, 'limit'],
      [{ limit: 'ten' }, 'limit'],
      [{ limit: 5000 }, 'limit'],
      [{ window: '3 days' }, 'window'],
      [{ integration: '' }, 'integration'],
    ] as const) {
      const res = await get('/v1/runs', query);
      assert.equal(res.status, 400, JSON.stringify(query));
      assert.match(res.body.error.message, new RegExp(`^${name}:`));
    }
    assert.equal((await request(svc.server).get('/v1/runs')).status, 401);
  });
});

describe('GET /v1/runs/:run/report', () => {
  test('JSON: the run summary and every record by business id, with values, failures and skip reasons', async () => {
    const res = await get('/v1/runs/run-1/report', { tenant: 'acme' });
    assert.equal(res.status, 200);
    assert.equal(res.body.run.run, 'run-1');
    assert.equal(res.body.run.outcome, 'partial');
    assert.equal(res.body.truncated, false);
    assert.deepEqual(res.body.records, [
      { record_id: 'ORD-1', record_type: 'order', status: 'synced', time: at(120, 100), value: 1250.5, currency: 'EUR', failure: null, skip_reason: null, resolved_by_later_sync: null },
      {
        record_id: 'ORD-2', record_type: 'order', status: 'failed', time: at(120, 200), value: 99, currency: 'USD',
        failure: { category: 'data', code: 'validation', message: 'email is required', retryable: false }, skip_reason: null, resolved_by_later_sync: true,
      },
      { record_id: 'ORD-3', record_type: 'order', status: 'skipped', time: at(120, 300), value: null, currency: null, failure: null, skip_reason: 'unchanged since last sync', resolved_by_later_sync: null },
    ]);
  });

  test('CSV by Accept header or ?format=csv, quoting commas, quotes and newlines, defusing formulas', async () => {
    const byAccept = await get('/v1/runs/run-2/report', { tenant: 'acme' }).set('Accept', 'text/csv');
    const byFormat = await get('/v1/runs/run-2/report', { tenant: 'acme', format: 'csv' });
    for (const res of [byAccept, byFormat]) {
      assert.equal(res.status, 200);
      assert.match(res.headers['content-type'], /^text\/csv; charset=utf-8/);
      assert.match(res.headers['content-disposition'], /attachment; filename="run-run-2-report\.csv"/);
    }
    assert.equal(byAccept.text, byFormat.text);
    const rows = parseCsv(byFormat.text);
    assert.deepEqual(rows[0], ['record_id', 'record_type', 'status', 'time', 'value', 'currency', 'failure_category', 'failure_code', 'message', 'resolved_by_later_sync']);
    assert.deepEqual(rows.slice(1), [
      ['ORD-2', 'order', 'synced', at(60, 100), '99', 'USD', '', '', '', ''],
      ["'=ORD-4", 'order', 'failed', at(60, 200), '5', 'USD', 'data', 'mapping', TRICKY, 'false'],
    ]);
    assert.ok(byFormat.text.includes('"Bad ""name"", see line 2\nthen, more"'), 'quotes doubled inside a quoted field');
  });

  test('an unknown run, or another tenant\'s run, is a 404; tenant is required', async () => {
    const missing = await get('/v1/runs/run-404/report', { tenant: 'acme' });
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'not_found');
    assert.equal((await get('/v1/runs/run-g/report', { tenant: 'acme' })).status, 404);
    assert.equal((await get('/v1/runs/run-g/report', { tenant: 'globex' })).status, 200);
    const noTenant = await get('/v1/runs/run-1/report');
    assert.equal(noTenant.status, 400);
    assert.match(noTenant.body.error.message, /^tenant:/);
    assert.match((await get('/v1/runs/run-1/report', { tenant: 'acme', format: 'xml' })).body.error.message, /^format:/);
  });

  test('a report longer than the limit says it is truncated', async () => {
    const res = await get('/v1/runs/run-1/report', { tenant: 'acme', limit: 2 });
    assert.equal(res.body.records.length, 2);
    assert.equal(res.body.truncated, true);
  });
});

describe('GET /v1/records: whether a record is resolved now', () => {
  const lookup = (recordId: string) => get('/v1/records', { tenant: 'acme', record_id: recordId });

  test('a failed record synced by a later run is synced and resolved by a later sync', async () => {
    const res = await lookup('ORD-2');
    assert.equal(res.status, 200);
    assert.equal(res.body.status, 'synced');
    assert.equal(res.body.resolved_by_later_sync, true);
    assert.equal(res.body.last_synced_at, at(60, 100));
    assert.equal(res.body.last_failed_at, at(120, 200));
    assert.deepEqual(res.body.attempts.map((a: { status: string }) => a.status), ['failed', 'synced']);
  });

  test('a record that failed last is failed and not resolved; one never seen has no status', async () => {
    const failed = await lookup('=ORD-4');
    assert.equal(failed.body.status, 'failed');
    assert.equal(failed.body.resolved_by_later_sync, false);
    const skipped = await lookup('ORD-3');
    assert.equal(skipped.body.status, 'skipped');
    assert.equal(skipped.body.resolved_by_later_sync, false);
    const none = await lookup('ORD-404');
    assert.equal(none.body.status, null);
    assert.equal(none.body.resolved_by_later_sync, false);
    assert.deepEqual(none.body.attempts, []);
  });

  test('a sync that arrives before the older failure still counts as the later one', async () => {
    const events = [
      ev({ type: 'record.synced', run: 'run-9', time: at(10), record: { id: 'ORD-9' } }),
      ev({ type: 'record.failed', run: 'run-8', time: at(20), record: { id: 'ORD-9' }, error: { http_status: 422, message: 'bad' } }),
    ];
    for (const e of events) {
      await request(svc.server).post('/v1/events').set('Authorization', `Bearer ${INGEST}`).send([e]);
      await svc.ingest.batcher.flush();
    }
    const res = await lookup('ORD-9');
    assert.equal(res.body.status, 'synced');
    assert.equal(res.body.resolved_by_later_sync, true);
  });
});
