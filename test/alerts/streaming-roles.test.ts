import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { ManualClock } from '../../src/clock.js';
import { startClickHouseShim, type ClickHouseShim } from '../support/clickhouse-shim.js';
import { TEST_EPOCH } from '../support/clock.js';
import { startTestService, type TestService } from '../support/service.js';

// Roles: an `api` process accepts events and stages them; the `worker` holding the lease
// writes them to the store, and its streaming counters see them then. A window rule's
// crossing through an API process fires on the worker without a periodic evaluation, and
// so does an event rule: the worker judges the rows it drains, nothing waits for a tick.

const ADMIN = 'admin-key-streaming-0123456789abcdef';
const RULES = `
rules:
  - name: data-failures
    kind: threshold
    severity: warning
    match: { category: data }
    metric: failure_count
    threshold: 2
    window: 15m
  - name: auth-expired
    kind: event
    event: auth.expired
    severity: critical
    resolve_on: [auth.refreshed]
    group_by: [tenant, integration]
`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('streaming evaluation with an api process and a worker', () => {
  let shim: ClickHouseShim;
  let dir: string;
  let api: TestService;
  let worker: TestService;
  const clock = new ManualClock(TEST_EPOCH);

  before(async () => {
    shim = await startClickHouseShim();
    dir = mkdtempSync(path.join(tmpdir(), 'syncwatch-streaming-roles-'));
    mkdirSync(path.join(dir, 'rules'));
    writeFileSync(path.join(dir, 'rules', 'rules.yaml'), RULES);
    const env = { CLICKHOUSE_URL: shim.url, SYNCWATCH_ADMIN_KEY: ADMIN, SYNCWATCH_ALERT_RULES: path.join(dir, 'rules') };
    const alerts = { schedule: false, lease: { settleMs: 0 }, streaming: { minIntervalMs: 0 } };
    worker = await startTestService({ ...env, SYNCWATCH_ROLE: 'worker' }, { clock, alerts, notify: { dispatchEveryMs: 0, reportMetrics: false } });
    await worker.alerting.engine!.start();
    assert.ok(worker.alerting.engine!.isLeader);
    api = await startTestService({ ...env, SYNCWATCH_ROLE: 'api' }, { clock, alerts, notify: { dispatchEveryMs: 0, reportMetrics: false } });
    await worker.alerting.engine!.tick(TEST_EPOCH);
  });
  after(async () => {
    await api?.stop();
    await worker?.stop();
    await shim?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('failures accepted by the api process fire the window rule on the worker once it has written them, before any tick', async () => {
    const failure = (id: string, time: number) => ({
      type: 'record.failed',
      time: new Date(time).toISOString(),
      tenant: 'acme',
      integration: 'salesforce',
      flow: 'orders.export',
      run: 'run-1',
      record: { id, type: 'order' },
      error: { message: 'email is required', http_status: 422 },
    });
    clock.set(TEST_EPOCH + 60_000);
    const res = await request(api.server).post('/v1/events').set('Authorization', `Bearer ${ADMIN}`).send([failure('ORD-1', TEST_EPOCH + 10_000), failure('ORD-2', TEST_EPOCH + 20_000)]);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    await api.ingest.batcher.flush();
    const streaming = worker.alerting.streaming!;
    let alert;
    for (let i = 0; i < 300 && !alert; i++) {
      await streaming.idle();
      alert = worker.alerting.engine!.snapshot().find((a) => a.labels.rule === 'data-failures' && a.status === 'firing');
      if (!alert) await sleep(100);
    }
    assert.ok(alert, 'the worker fired the rule from the drained rows');
    assert.equal(alert.labels.tenant, 'acme');
    assert.equal(alert.value, 2);
    assert.equal(alert.firedAt, TEST_EPOCH + 60_000, 'fired at the time of the drain, not of a tick');
    assert.ok(streaming.confirmations >= 1);
    assert.equal(api.alerting.streaming, null, 'an api process counts nothing itself');

    const tick = await worker.alerting.engine!.tick(TEST_EPOCH + 90_000);
    assert.equal(tick.transitions, 0, 'the periodic evaluation agrees and notifies nothing new');
  });

  test('an event rule on an event accepted by the api process fires on the worker when its drain writes it, and resolves the same way, before any tick', async () => {
    const auth = (type: string, time: number) => ({ type, time: new Date(time).toISOString(), tenant: 'globex', integration: 'hubspot', attributes: { reason: 'refresh token revoked' } });
    const firing = () => worker.alerting.engine!.snapshot().find((a) => a.labels.rule === 'auth-expired' && a.labels.tenant === 'globex');
    clock.set(TEST_EPOCH + 120_000);
    let res = await request(api.server).post('/v1/events').set('Authorization', `Bearer ${ADMIN}`).send([auth('auth.expired', TEST_EPOCH + 110_000)]);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    await api.ingest.batcher.flush();
    for (let i = 0; i < 300 && firing()?.status !== 'firing'; i++) await sleep(100);
    assert.equal(firing()?.status, 'firing', 'the worker applied the event rule to the drained event');
    assert.equal(firing()?.firedAt, TEST_EPOCH + 120_000, 'fired at the drain, not at a tick');
    assert.equal(firing()?.labels.integration, 'hubspot');

    clock.set(TEST_EPOCH + 180_000);
    res = await request(api.server).post('/v1/events').set('Authorization', `Bearer ${ADMIN}`).send([auth('auth.refreshed', TEST_EPOCH + 170_000)]);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    await api.ingest.batcher.flush();
    for (let i = 0; i < 300 && firing()?.status === 'firing'; i++) await sleep(100);
    assert.notEqual(firing()?.status, 'firing', 'auth.refreshed through the api process resolved it');
    const rows = await worker.driver.query<{ n: number }>({ name: 'test.inbox', sql: 'SELECT toUInt32(count()) AS n FROM alert_inbox' });
    assert.deepEqual(rows, [{ n: 0 }], 'nothing went through the inbox: the api process posts no observations');
  });
});
