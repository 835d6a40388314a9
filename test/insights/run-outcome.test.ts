/**
 * A run that finished with failed records is `partial` — not a green "Succeeded" — in
 * /v1/runs, /v1/health's run counts, the status page, the run report page and the value
 * report; a clean run is `succeeded` and a failed run `failed`.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import request from 'supertest';
import { startTestService, type TestService } from '../support/service.js';

const ADMIN = 'admin-key-0123456789abcdef';
const INGEST = 'ingest-key-0123456789abcdef';
const NOW = Date.now();
const at = (minutesAgo: number, plusMs = 0) => new Date(NOW - minutesAgo * 60_000 + plusMs).toISOString();
const base = { tenant: 'acme', integration: 'salesforce', flow: 'orders.export' };

function run(id: string, minutesAgo: number, synced: number, failed: number, end: 'run.succeeded' | 'run.failed') {
  const events: object[] = [{ ...base, type: 'run.started', run: id, time: at(minutesAgo) }];
  for (let i = 0; i < synced; i++) events.push({ ...base, type: 'record.synced', run: id, time: at(minutesAgo, 100 + i), record: { id: `${id}-OK-${i}`, type: 'order' } });
  for (let i = 0; i < failed; i++) events.push({ ...base, type: 'record.failed', run: id, time: at(minutesAgo, 500 + i), record: { id: `${id}-BAD-${i}`, type: 'order' }, error: { category: 'data', code: 'validation', message: 'email is required' } });
  const error = end === 'run.failed' ? { error: { http_status: 503, message: 'Service Unavailable' } } : {};
  events.push({ ...base, type: end, run: id, time: at(minutesAgo - 1), records_total: synced + failed, ...error });
  return events;
}

let svc: TestService;
const get = (url: string, query: Record<string, string> = {}) => request(svc.server).get(url).query(query).set('Authorization', `Bearer ${ADMIN}`);

before(async () => {
  svc = await startTestService({ SYNCWATCH_ADMIN_KEY: ADMIN, SYNCWATCH_INGEST_KEY: INGEST });
  const events = [
    ...run('run-clean', 90, 8, 0, 'run.succeeded'),
    ...run('run-partial', 60, 5, 3, 'run.succeeded'),
    ...run('run-failed', 30, 1, 1, 'run.failed'),
    // Failed before reaching any of its 4 records: the report must not show "4" above empty lists silently.
    { ...base, type: 'run.started', run: 'run-early', time: at(20) },
    { ...base, type: 'run.failed', run: 'run-early', time: at(19), records_total: 4, error: { http_status: 503, message: 'Service Unavailable' } },
  ];
  const res = await request(svc.server).post('/v1/events').set('Authorization', `Bearer ${INGEST}`).send(events);
  assert.equal(res.status, 202);
  await svc.ingest.batcher.flush();
});
after(async () => svc?.stop());

test('/v1/runs: clean = succeeded, with failed records = partial, failed = failed', async () => {
  const res = await get('/v1/runs', { tenant: 'acme', window: '24h' });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const outcomes = Object.fromEntries(res.body.runs.map((r: any) => [r.run, r.outcome]));
  assert.deepEqual(outcomes, { 'run-clean': 'succeeded', 'run-partial': 'partial', 'run-failed': 'failed', 'run-early': 'failed' });
});

test('/v1/health counts the partial run apart from clean successes; the success rate counts clean runs only', async () => {
  const res = await get('/v1/health', { tenant: 'acme', window: '24h' });
  assert.equal(res.status, 200);
  const [c] = res.body.connections;
  assert.deepEqual(c.runs, { total: 4, succeeded: 1, partial: 1, failed: 2 });
  assert.equal(c.success_rate, 0.25);
});

test('the status page and the run report show the partial run as partial, never as Succeeded', async () => {
  const page = await get('/status/acme');
  assert.equal(page.status, 200);
  const runsTable = page.text.slice(page.text.indexOf('id="recent-runs"'));
  const rows = runsTable.slice(0, runsTable.indexOf('</table>')).split('<tr>').filter((r) => r.includes('/runs/run-partial'));
  assert.equal(rows.length, 1, 'one row links the partial run');
  assert.match(rows[0], /Partial: some records failed/);
  assert.doesNotMatch(rows[0], />Succeeded</);
  assert.match(page.text, /<strong>1<\/strong> finished with failed records/);
  const report = await get('/status/acme/runs/run-partial');
  assert.equal(report.status, 200);
  assert.match(report.text, /Partial: some records failed/);
  assert.doesNotMatch(report.text, />Succeeded</);
});

test('a run that failed before its records says how many were not processed, instead of an unexplained count', async () => {
  const res = await get('/status/acme/runs/run-early');
  assert.equal(res.status, 200);
  assert.match(res.text, /id="count-not-processed">4</);
  assert.match(res.text, /4 of the run's 4 records were never synced, failed or skipped one by one: the run failed before it reached them/);
  const clean = await get('/status/acme/runs/run-clean');
  assert.doesNotMatch(clean.text, /not-processed/);
});

test('the value report counts 1 clean run of 4', async () => {
  const from = new Date(NOW - 24 * 3_600_000).toISOString();
  const to = new Date(NOW + 60_000).toISOString();
  const res = await get('/v1/reports/value', { tenant: 'acme', from, to });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.deepEqual(res.body.totals.runs.current, { total: 4, succeeded: 1, partial: 1, failed: 2 });
  assert.match(res.body.summary, /25% of 4 runs succeeded without a failed record\. 1 run finished with failed records\./);
});
