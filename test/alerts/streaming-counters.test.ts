import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { loadAlertRules, type Observation } from '../../src/alerts/index.js';
import { WindowCounters, type EvaluationFigures } from '../../src/alerts/streaming-counters.js';
import type { FlowCounts, FlowFacts, FlowKey } from '../../src/insights/index.js';
import { toChTime, type EventRow } from '../../src/store/index.js';

// The counters alone (no store): when a group becomes a candidate, and what a seed keeps.

const dir = mkdtempSync(path.join(tmpdir(), 'syncwatch-counters-'));
after(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(
  path.join(dir, 'rules.yaml'),
  `rules:
  - { name: data-failures, kind: threshold, severity: warning, match: { category: data }, metric: failure_count, threshold: 3, window: 15m }
  - { name: rate, kind: threshold, severity: warning, match: { category: endpoint }, metric: failure_rate, threshold: 50%, min_sample: 4, window: 15m }
  - { name: runs, kind: consecutive_failed_runs, severity: critical, runs: 2 }
`,
);
const rules = loadAlertRules(dir);
const NOW = Date.UTC(2026, 11, 3, 12);
const flow: FlowKey = { tenant: 'acme', integration: 'salesforce', connection: '', flow: 'orders.export' };

function row(type: string, at: number, category = '', code = ''): EventRow {
  return {
    event_id: `${type}-${at}-${Math.random()}`,
    type,
    ts: toChTime(at),
    received_at: toChTime(NOW),
    ...flow,
    run: `run-${at}`,
    record_id: '',
    record_type: '',
    record_value: 0,
    has_value: 0,
    currency: '',
    failure_category: category,
    failure_code: code,
    message: '',
    http_status: 0,
    records_total: 0,
    duration_ms: 0,
    attributes: {},
    source: 'event',
  };
}
const dataFailure = (at: number) => row('record.failed', at, 'data', 'validation');

function counts(failures: { data?: number; endpoint?: number }, attempts: number): FlowKey & FlowCounts {
  return {
    ...flow,
    runs: { total: 0, succeeded: 0, partial: 0, failed: 0 },
    records: { synced: attempts - (failures.data ?? 0) - (failures.endpoint ?? 0), failed: (failures.data ?? 0) + (failures.endpoint ?? 0), skipped: 0 },
    failures: { infra: 0, endpoint: failures.endpoint ?? 0, data: failures.data ?? 0 },
    failureCodes: { 'data.validation': failures.data ?? 0, 'endpoint.unavailable': failures.endpoint ?? 0 },
  };
}
const figures = (c: (FlowKey & FlowCounts)[], streak = 0): EvaluationFigures => ({
  now: NOW,
  counts: async () => new Map(c.map((x) => [`${x.tenant}\u0000${x.integration}\u0000${x.connection}\u0000${x.flow}`, x])),
  facts: async () => (streak ? [{ ...flow, streak, disabled: null } as unknown as FlowFacts] : []),
});
const observed = (rule: string, active: boolean): Observation => ({ fingerprint: rule, labels: { rule, tenant: flow.tenant, integration: flow.integration, flow: flow.flow } as Observation['labels'], active, summary: '', action: '', records: [], valueAtRisk: null });

describe('window counters', () => {
  test('a failure count becomes a candidate on the row that reaches the threshold, counting the seeded figure', async () => {
    const c = new WindowCounters();
    const stored = c.mark();
    await c.seed(rules, figures([counts({ data: 1 }, 5)]), [observed('data-failures', false)], stored);
    assert.deepEqual([...c.add(rules, [dataFailure(NOW - 1000)], NOW)], [], 'two of three');
    assert.deepEqual([...c.add(rules, [dataFailure(NOW - 500)], NOW)], ['data-failures'], 'the third crosses');
  });

  test('rows older than the window are not counted', async () => {
    const c = new WindowCounters();
    const old = [1, 2, 3].map((k) => dataFailure(NOW - 16 * 60_000 - k));
    assert.deepEqual([...c.add(rules, old, NOW)], []);
  });

  test('a group the last evaluation found active is no candidate; after a seed that found it clear it is again', async () => {
    const c = new WindowCounters();
    let stored = c.mark();
    await c.seed(rules, figures([counts({ data: 3 }, 3)]), [observed('data-failures', true)], stored);
    assert.deepEqual([...c.add(rules, [dataFailure(NOW - 100)], NOW)], [], 'already firing');
    stored = c.mark();
    await c.seed(rules, figures([counts({ data: 1 }, 1)]), [observed('data-failures', false)], stored);
    assert.deepEqual([...c.add(rules, [dataFailure(NOW - 50)], NOW)], []);
    assert.deepEqual([...c.add(rules, [dataFailure(NOW - 40)], NOW)], ['data-failures']);
  });

  test('a seed drops rows the store already had and keeps rows counted after its mark (or all of them when unknown)', async () => {
    const c = new WindowCounters();
    c.add(rules, [dataFailure(NOW - 300), dataFailure(NOW - 200)], NOW);
    const stored = c.mark();
    await c.seed(rules, figures([]), [], stored);
    assert.deepEqual([...c.add(rules, [dataFailure(NOW - 100)], NOW)], [], 'the two earlier rows were dropped with the empty store figure');

    const unknown = new WindowCounters();
    unknown.add(rules, [dataFailure(NOW - 300), dataFailure(NOW - 200)], NOW);
    unknown.mark();
    await unknown.seed(rules, figures([]), [], null);
    assert.deepEqual([...unknown.add(rules, [dataFailure(NOW - 100)], NOW)], ['data-failures'], 'unknown storage keeps them');
  });

  test('a failure rate needs its minimum sample', () => {
    const c = new WindowCounters();
    const failure = (at: number) => row('record.failed', at, 'endpoint', 'unavailable');
    assert.deepEqual([...c.add(rules, [failure(NOW - 30), failure(NOW - 20), failure(NOW - 10)], NOW)].filter((r) => r === 'rate'), [], 'three attempts < min_sample 4');
    assert.deepEqual([...c.add(rules, [row('record.synced', NOW - 5)], NOW)], ['rate'], '3 of 4 failed');
  });

  test('consecutive failed runs: the seeded streak plus failed runs since; a success starts over', async () => {
    const c = new WindowCounters();
    const stored = c.mark();
    await c.seed(rules, figures([], 1), [observed('runs', false)], stored);
    assert.deepEqual([...c.add(rules, [row('run.succeeded', NOW - 30), row('run.failed', NOW - 20)], NOW)], [], 'the success ended the seeded streak');
    assert.deepEqual([...c.add(rules, [row('run.failed', NOW - 10)], NOW)], ['runs']);

    const fresh = new WindowCounters();
    await fresh.seed(rules, figures([], 1), [observed('runs', false)], fresh.mark());
    assert.deepEqual([...fresh.add(rules, [row('run.failed', NOW - 10)], NOW)], ['runs'], 'one stored + one new failure');
  });
});
