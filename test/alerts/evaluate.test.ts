import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { evaluateEvent, evaluateWindowRules, loadAlertRules, type AlertRule, type Observation } from '../../src/alerts/index.js';
import type { EventRow } from '../../src/store/index.js';
import { formatTime } from '../../src/format/index.js';
import { startTestService, type TestService } from '../support/service.js';

// Each rule kind of the shipped rule set (plus a few written here) against events posted
// to a real service, each situation in a tenant of its own, times relative to NOW.

const INGEST = 'ingest-key-0123456789abcdef';
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const NOW = Math.floor(Date.now() / MIN) * MIN;
const SHIPPED = fileURLToPath(new URL('../../alert-rules', import.meta.url));

let svc: TestService;
let rulesDir: string;
let rules: AlertRule[];
const accepted: EventRow[] = [];

before(async () => {
  // The shipped rules, with the opt-in high-value rule switched on, and two rules of our own.
  rulesDir = mkdtempSync(path.join(tmpdir(), 'syncwatch-eval-rules-'));
  for (const f of ['classification.yaml', 'operator.yaml', 'tenant.yaml']) copyFileSync(path.join(SHIPPED, f), path.join(rulesDir, f));
  writeFileSync(path.join(rulesDir, 'success.yaml'), readFileSync(path.join(SHIPPED, 'success.yaml'), 'utf8').replace('enabled: false', 'enabled: true'));
  writeFileSync(
    path.join(rulesDir, 'extra.yaml'),
    `rules:
  - name: partner-wide-failures
    kind: threshold
    match: { category: endpoint }
    metric: failure_count
    threshold: 2
    window: 30m
    group_by: [integration]
  - name: recent-auth-expiry
    kind: event
    event: auth.expired
    max_age: 1h
    group_by: [tenant, integration]
`,
  );
  rules = loadAlertRules(rulesDir);
  svc = await startTestService({ SYNCWATCH_INGEST_KEY: INGEST, SYNCWATCH_ALERT_RULES: rulesDir });
  svc.ingest.onAccepted((rows) => void accepted.push(...rows));
});
after(async () => {
  await svc.stop();
  rmSync(rulesDir, { recursive: true, force: true });
});

type Ev = Record<string, unknown>;
const iso = (ms: number) => new Date(ms).toISOString();
let seq = 0;

async function post(events: Ev[]): Promise<void> {
  const res = await request(svc.server).post('/v1/events').set('Authorization', `Bearer ${INGEST}`).send(events);
  assert.equal(res.status, 202, JSON.stringify(res.body));
  assert.deepEqual(res.body.rejected, []);
  await svc.ingest.batcher.flush();
}

const base = (tenant: string, integration = 'salesforce', flow = 'orders.export') => ({ tenant, integration, flow });

/** One run ending at `end`: started a minute before, then its records, then the outcome. */
function run(tenant: string, end: number, outcome: 'succeeded' | 'failed', error?: Ev, records: Ev[] = [], integration?: string): Ev[] {
  const b = base(tenant, integration);
  const id = `run-${++seq}`;
  return [
    { ...b, type: 'run.started', run: id, time: iso(end - MIN) },
    ...records.map((r, i) => ({ ...b, run: id, time: iso(end - MIN + (i + 1) * 100), ...r })),
    { ...b, type: `run.${outcome}`, run: id, time: iso(end), ...(error ? { error } : {}) },
  ];
}

const UNAVAILABLE = { http_status: 503, message: 'Service Unavailable' };

async function evaluate(now = NOW): Promise<Observation[]> {
  return evaluateWindowRules(svc.driver, rules, now, { health: svc.config.health, value: svc.config.value });
}

/** The one observation of a rule for a tenant (every flow of every tenant gets one per rule). */
function find(observations: Observation[], rule: string, tenant: string): Observation {
  const found = observations.filter((o) => o.labels.rule === rule && o.labels.tenant === tenant);
  assert.equal(found.length, 1, `${rule}/${tenant}: ${found.length} observations`);
  return found[0];
}

describe('threshold rules', () => {
  test('partner endpoint outage fires on a failure rate over the window, needs its minimum sample, and clears when the window passes', async () => {
    // 12 runs in the last 10 minutes, 8 of them failing with 503: 67 % ≥ 50 %, 12 ≥ 10 runs.
    const outage = Array.from({ length: 12 }, (_, i) => run('t-outage', NOW - (i + 1) * 40_000, i < 8 ? 'failed' : 'succeeded', i < 8 ? UNAVAILABLE : undefined)).flat();
    // Every run failed, but only 3: below min_sample, so not judged.
    const few = Array.from({ length: 3 }, (_, i) => run('t-few', NOW - (i + 1) * MIN, 'failed', UNAVAILABLE)).flat();
    await post([...outage, ...few]);

    const now = await evaluate();
    const o = find(now, 'partner-endpoint-outage', 't-outage');
    assert.equal(o.active, true);
    assert.equal(o.value, 0.6667);
    assert.equal(o.threshold, 0.5);
    assert.deepEqual(o.labels, {
      rule: 'partner-endpoint-outage',
      severity: 'critical',
      category: 'endpoint',
      code: 'unavailable',
      audience: ['operator'],
      tenant: 't-outage',
      integration: 'salesforce',
      flow: 'orders.export',
    });
    assert.equal(o.summary, 'salesforce · orders.export: 66.7% of runs and records failed (endpoint · unavailable) in the last 10 minutes (8 of 12)');
    assert.match(o.action, /Nothing to do on your side/);
    assert.match(o.fingerprint, /^[0-9a-f]{32}$/);

    const few3 = find(now, 'partner-endpoint-outage', 't-few');
    assert.equal(few3.active, false, 'three runs are below the minimum sample of 10');
    assert.equal(few3.value, 1);

    const later = await evaluate(NOW + 11 * MIN);
    const cleared = find(later, 'partner-endpoint-outage', 't-outage');
    assert.equal(cleared.active, false);
    assert.equal(cleared.fingerprint, o.fingerprint, 'the same alert, now clear');
  });

  test('data failures go to the tenant and name the business ids, the reasons and the value at risk', async () => {
    const failed = (id: string, message: string) => ({ type: 'record.failed', record: { id, type: 'order', value: 1250, currency: 'USD' }, error: { http_status: 422, message } });
    const synced = (id: string) => ({ type: 'record.synced', record: { id, type: 'order', value: 99, currency: 'USD' } });
    await post([
      ...run('t-data', NOW - 20 * MIN, 'succeeded', undefined, [failed('ORD-1001', 'email is required'), failed('ORD-1002', 'invalid email format'), synced('ORD-1003'), failed('ORD-1004', 'email is required')]),
      ...run('t-clean', NOW - 20 * MIN, 'succeeded', undefined, [synced('ORD-2001')]),
    ]);

    const observations = await evaluate();
    const o = find(observations, 'data-failures', 't-data');
    assert.equal(o.active, true);
    assert.deepEqual(o.labels.audience, ['tenant']);
    assert.equal(o.labels.category, 'data');
    assert.deepEqual(
      [...o.records].sort((a, b) => a.id.localeCompare(b.id)),
      [
        { id: 'ORD-1001', message: 'email is required' },
        { id: 'ORD-1002', message: 'invalid email format' },
        { id: 'ORD-1004', message: 'email is required' },
      ],
    );
    assert.deepEqual(o.valueAtRisk, { amount: 3750, currency: 'USD' });
    assert.equal(o.summary, 'salesforce · orders.export: 3 records failed in the last 1 hour because of their data');
    for (const id of ['ORD-1001', 'ORD-1002', 'ORD-1004']) assert.ok(o.action.includes(id), o.action);
    assert.match(o.action, /ORD-\d+ \(email is required\)/);

    const clean = find(observations, 'data-failures', 't-clean');
    assert.equal(clean.active, false);
    assert.deepEqual(clean.records, []);

    assert.equal(find(await evaluate(NOW + 41 * MIN), 'data-failures', 't-data').active, false, 'an hour after the failures, the window is clear');
  });

  test('an infrastructure failure (out of memory) fires at once for the operator, then clears', async () => {
    await post(run('t-infra', NOW - 2 * MIN, 'failed', { message: 'FATAL ERROR: Reached heap limit - JavaScript heap out of memory', exit_code: 137 }));
    const o = find(await evaluate(), 'infrastructure-failure', 't-infra');
    assert.equal(o.active, true);
    assert.deepEqual(o.labels.audience, ['operator']);
    assert.equal(o.labels.category, 'infra');
    assert.equal(o.value, 1);
    assert.equal(find(await evaluate(NOW + 14 * MIN), 'infrastructure-failure', 't-infra').active, false);
  });

  test('group_by [integration] makes one alert of failures across tenants', async () => {
    await post([...run('t-wide-a', NOW - 3 * MIN, 'failed', UNAVAILABLE, [], 'hubspot'), ...run('t-wide-b', NOW - 4 * MIN, 'failed', UNAVAILABLE, [], 'hubspot')]);
    const wide = (await evaluate()).filter((o) => o.labels.rule === 'partner-wide-failures' && o.labels.integration === 'hubspot');
    assert.equal(wide.length, 1);
    assert.equal(wide[0].active, true);
    assert.equal(wide[0].value, 2);
    assert.equal(wide[0].labels.tenant, '');
    assert.equal(wide[0].labels.flow, '');
  });
});

describe('consecutive failed runs', () => {
  test('fires when the last 3 runs failed and clears with the next success', async () => {
    await post([
      ...run('t-consec', NOW - 50 * MIN, 'succeeded'),
      ...run('t-consec', NOW - 40 * MIN, 'succeeded'),
      ...run('t-consec', NOW - 30 * MIN, 'failed', UNAVAILABLE),
      ...run('t-consec', NOW - 20 * MIN, 'failed', UNAVAILABLE),
    ]);
    assert.equal(find(await evaluate(), 'consecutive-failed-runs', 't-consec').active, false, 'two failures are not three');

    await post(run('t-consec', NOW - 10 * MIN, 'failed', UNAVAILABLE));
    const o = find(await evaluate(), 'consecutive-failed-runs', 't-consec');
    assert.equal(o.active, true);
    assert.equal(o.value, 3);
    assert.equal(o.summary, 'salesforce · orders.export: the last 3 runs failed (endpoint · unavailable: Service Unavailable)');

    await post(run('t-consec', NOW - 5 * MIN, 'succeeded'));
    assert.equal(find(await evaluate(), 'consecutive-failed-runs', 't-consec').active, false);
  });
});

describe('stale connections', () => {
  test('fire only after more than 2× the inferred cadence without a success', async () => {
    // Successful runs every 10 minutes: stale after 20 minutes without one.
    const every10 = (tenant: string, latestAgo: number) => Array.from({ length: 5 }, (_, k) => run(tenant, NOW - latestAgo - k * 10 * MIN, 'succeeded')).flat();
    await post([...every10('t-stale', 25 * MIN), ...every10('t-fresh', 15 * MIN)]);

    const observations = await evaluate();
    const stale = find(observations, 'stale-connection', 't-stale');
    assert.equal(stale.active, true);
    assert.deepEqual(stale.labels.audience, ['operator', 'tenant']);
    assert.equal(stale.summary, 'salesforce · orders.export: no successful run for 25 minutes; runs are expected every 10 minutes');
    assert.equal(find(observations, 'stale-connection', 't-fresh').active, false, '15 minutes is not more than 2 × 10');

    assert.equal(find(await evaluate(NOW + 4 * MIN), 'stale-connection', 't-fresh').active, false, '19 minutes: not yet');
    assert.equal(find(await evaluate(NOW + 6 * MIN), 'stale-connection', 't-fresh').active, true, '21 minutes: stale');

    await post(run('t-stale', NOW - MIN, 'succeeded'));
    assert.equal(find(await evaluate(), 'stale-connection', 't-stale').active, false, 'a success clears it');
  });
});

describe('volume drop', () => {
  test('fires when records silently stop, against the same hour of the previous days, with no error at all', async () => {
    const synced = (tenant: string, n: number, end: number, every = MIN): Ev[] =>
      Array.from({ length: n }, (_, i) => ({ ...base(tenant, 'quickbooks', 'invoices.sync'), type: 'record.synced', time: iso(end - (i + 1) * every), record: { id: `INV-${++seq}`, type: 'invoice' } }));
    // One record every 2 minutes from 2 hours before to 1 hour after this time of day, on each of the last 7 days.
    const history = (tenant: string) => [1, 2, 3, 4, 5, 6, 7].flatMap((k) => synced(tenant, 90, NOW - k * DAY + HOUR, 2 * MIN));
    await post([...history('t-quiet'), ...synced('t-quiet', 2, NOW), ...history('t-steady'), ...synced('t-steady', 28, NOW)]);

    const observations = await evaluate();
    const quiet = find(observations, 'volume-drop', 't-quiet');
    assert.equal(quiet.active, true);
    assert.equal(quiet.value, 2);
    assert.equal(quiet.summary, 'quickbooks · invoices.sync: 2 records synced in the last 1 hour, 93.3% below the usual 30 for this time of day');
    assert.equal(find(observations, 'volume-drop', 't-steady').active, false);
    assert.equal(observations.some((o) => o.labels.tenant === 't-quiet' && o.labels.rule !== 'volume-drop' && o.active), false, 'no other rule saw anything wrong');

    await post(synced('t-quiet', 25, NOW - 3 * MIN));
    assert.equal(find(await evaluate(), 'volume-drop', 't-quiet').active, false, 'records flowing again clear it');
  });
});

describe('event rules at ingest', () => {
  /** Posts events and returns the rows ingest reported to its listeners for them. */
  async function ingest(events: Ev[]): Promise<EventRow[]> {
    accepted.length = 0;
    await post(events);
    return [...accepted];
  }
  const auth = (tenant: string, type: string, at: number, attributes?: Record<string, string>): Ev => ({
    tenant,
    integration: 'netsuite',
    type,
    time: iso(at),
    ...(attributes ? { attributes } : {}),
  });

  test('auth expiring fires within the 7-day horizon and not outside it', async () => {
    const rows = await ingest([
      auth('t-expiring', 'auth.expiring', NOW - MIN, { expires_at: iso(NOW + 3 * DAY) }),
      auth('t-later', 'auth.expiring', NOW - MIN, { expires_at: iso(NOW + 10 * DAY) }),
    ]);
    const observations = evaluateEvent(rules, rows, NOW);
    assert.equal(observations.length, 1);
    const [o] = observations;
    assert.equal(o.active, true);
    assert.equal(o.oneShot, true);
    assert.equal(o.labels.rule, 'auth-expiring');
    assert.equal(o.labels.tenant, 't-expiring');
    assert.deepEqual(o.labels.audience, ['tenant']);
    assert.equal(o.summary, `netsuite: the authorisation expires in 3 days (${formatTime(NOW + 3 * DAY)})`);
    assert.doesNotMatch(o.summary, /\d{4}-\d{2}-\d{2}T/, 'no raw ISO timestamp in a sentence');
    assert.match(o.action, /^Re-authorise the netsuite connection/);
  });

  test('auth expired fires for the tenant to re-authorise, and auth.refreshed resolves the same alert', async () => {
    const expired = evaluateEvent(rules, await ingest([auth('t-expired', 'auth.expired', NOW - MIN)]), NOW);
    const fired = expired.find((o) => o.labels.rule === 'auth-expired');
    assert.ok(fired);
    assert.equal(fired.active, true);
    assert.equal(fired.oneShot, undefined, 'resolved by an event, not one-shot');
    assert.ok(fired.labels.audience.includes('tenant'));
    assert.match(fired.action, /Re-authorise/);

    const refreshed = evaluateEvent(rules, await ingest([auth('t-expired', 'auth.refreshed', NOW)]), NOW);
    const resolved = refreshed.find((o) => o.labels.rule === 'auth-expired');
    assert.ok(resolved);
    assert.equal(resolved.active, false);
    assert.equal(resolved.fingerprint, fired.fingerprint);
  });

  test('old events say nothing: a rule with max_age 1h ignores an expiry from yesterday', async () => {
    const rows = await ingest([auth('t-history', 'auth.expired', NOW - 2 * HOUR)]);
    const names = evaluateEvent(rules, rows, NOW).map((o) => o.labels.rule);
    assert.deepEqual(names, ['auth-expired'], 'the default max_age is a day; recent-auth-expiry allows one hour');
  });

  test('a high-value record synced notifies once per record; an ordinary one does not', async () => {
    const record = (id: string, value: number): Ev => ({ ...base('t-value'), type: 'record.synced', time: iso(NOW - MIN), record: { id, type: 'order', value, currency: 'USD' } });
    const rows = await ingest([record('ORD-9001', 12_500), record('ORD-9002', 500), record('ORD-9003', 10_000)]);
    const observations = evaluateEvent(rules, rows, NOW);
    assert.deepEqual(observations.map((o) => [o.labels.rule, o.active, o.oneShot, o.labels.category]), [
      ['high-value-record', true, true, 'success'],
      ['high-value-record', true, true, 'success'],
    ]);
    assert.equal(observations[0].summary, 'salesforce · orders.export: order ORD-9001 worth $12,500.00 synced');
    assert.deepEqual(observations[0].labels.audience, ['tenant']);
    assert.notEqual(observations[0].fingerprint, observations[1].fingerprint, 'two records, two notifications');
    assert.equal(evaluateEvent(rules, rows, NOW)[0].fingerprint, observations[0].fingerprint, 'fingerprints are stable');
  });

  test('a listener that throws or rejects never fails ingest', async () => {
    svc.ingest.onAccepted(() => {
      throw new Error('listener bug');
    });
    svc.ingest.onAccepted(async () => {
      throw new Error('async listener bug');
    });
    const rows = await ingest([auth('t-robust', 'auth.refreshed', NOW)]);
    assert.equal(rows.length, 1, 'the other listeners still hear of the rows');
  });
});
