/**
 * Advice comes from one model: the reasons that drive a connection's status, per flow.
 * Every combination of failure categories driving the status gets exactly the advice for
 * those categories — failures in a flow that does not drive the status add nothing — and no
 * advice list says both "nothing to do" and something the customer must do.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { adviceFor, type AdviceFacts } from '../../src/views/status-advice.js';

type Category = 'auth' | 'data' | 'endpoint' | 'infra';
const CATEGORIES: Category[] = ['auth', 'data', 'endpoint', 'infra'];
const ORDER = ['disabled', 'auth', 'data', 'stale', 'endpoint', 'infra', 'unknown'];
const ACTIONS = /Fix these records|Re-authorise|Re-enable|Install it again|Check that the/;

/** Failure counts with one failure of each category in `cats` (auth = endpoint.auth). */
function counts(cats: readonly Category[]) {
  const failures = { infra: 0, endpoint: 0, data: 0 };
  const failure_codes: Record<string, number> = {};
  for (const c of cats) {
    if (c === 'auth') {
      failures.endpoint += 2;
      failure_codes['endpoint.auth'] = 2;
    } else {
      failures[c] += 2;
      failure_codes[`${c}.${c === 'endpoint' ? 'timeout' : 'x'}`] = 2;
    }
  }
  return { failures, failure_codes };
}

const subsets = <T>(xs: readonly T[]): T[][] => xs.reduce<T[][]>((acc, x) => [...acc, ...acc.map((s) => [...s, x])], [[]]);

/** A connection whose flow `driving` fails with `cats` (a failure-rate reason) and whose healthy flow `quiet` had `noise`. */
function connection(cats: Category[], noise: Category[], extra: AdviceFacts['reasons'] = []): AdviceFacts {
  const driving = counts(cats);
  const quiet = counts(noise);
  return {
    integration: 'salesforce',
    status: 'failing',
    reasons: [{ code: 'record_failure_rate_high', message: 'orders.export: 60% failed', flow: 'orders.export' }, ...extra],
    failures: { infra: driving.failures.infra + quiet.failures.infra, endpoint: driving.failures.endpoint + quiet.failures.endpoint, data: driving.failures.data + quiet.failures.data },
    failure_codes: { ...quiet.failure_codes, ...driving.failure_codes },
    flows: [
      { flow: 'orders.export', ...driving },
      { flow: 'contacts.import', ...quiet },
    ],
  };
}

function assertConsistent(advice: ReturnType<typeof adviceFor>, where: string) {
  const texts = advice.map((a) => a.text).join(' ');
  assert.ok(!(/Nothing to do on your side/.test(texts) && ACTIONS.test(texts)), `${where}: says both "nothing to do" and an action: ${texts}`);
  assert.equal(new Set(advice.map((a) => a.kind)).size, advice.length, `${where}: one entry per kind`);
}

describe('advice for every combination of failure categories driving the status', () => {
  for (const cats of subsets(CATEGORIES).filter((s) => s.length > 0)) {
    test(`driving: ${cats.join(' + ')}; the healthy flow's other failures add nothing`, () => {
      const noise = CATEGORIES.filter((c) => !cats.includes(c));
      const advice = adviceFor(connection(cats, noise));
      assert.deepEqual(advice.map((a) => a.kind), ORDER.filter((k) => (cats as string[]).includes(k)));
      for (const a of advice) assert.deepEqual(a.flows, ['orders.export'], `${a.kind} names the flow it is about`);
      assertConsistent(advice, cats.join('+'));
      const customerActs = cats.includes('auth') || cats.includes('data');
      for (const a of advice.filter((x) => x.kind === 'endpoint' || x.kind === 'infra')) {
        assert.equal(/^Nothing to do on your side/.test(a.text), !customerActs, `${a.kind} text with ${cats.join('+')}`);
      }
    });

    test(`driving: ${cats.join(' + ')} as single failed runs, with staleness`, () => {
      const reasons = cats.map((c) => ({
        code: 'latest_run_failed' as const,
        message: '',
        flow: `flow-${c}`,
        failure: c === 'auth' ? { category: 'endpoint', code: 'auth' } : { category: c, code: 'x' },
      }));
      const advice = adviceFor({ integration: 'hubspot', status: 'stale', reasons: [...reasons, { code: 'no_recent_success', message: '', flow: 'flow-x' }], failures: { infra: 0, endpoint: 0, data: 0 }, failure_codes: {} });
      assert.deepEqual(advice.map((a) => a.kind), ORDER.filter((k) => (cats as string[]).includes(k)), 'staleness from these failures is their effect');
      assertConsistent(advice, cats.join('+'));
    });
  }

  test('the reported case: data failures drive the status, two timeouts in a healthy flow do not make it "the API is failing"', () => {
    const advice = adviceFor(connection(['data'], ['endpoint']));
    assert.deepEqual(advice.map((a) => a.kind), ['data']);
    assert.ok(!advice.some((a) => /Nothing to do/.test(a.text)));
  });

  test('no failures at all: stale asks to check the connection; disabled, unknown and healthy have their own', () => {
    const base = { integration: 'x', failures: { infra: 0, endpoint: 0, data: 0 }, failure_codes: {} };
    assert.deepEqual(adviceFor({ ...base, status: 'stale', reasons: [{ code: 'no_recent_success', message: '' }] }).map((a) => a.kind), ['stale']);
    assert.deepEqual(adviceFor({ ...base, status: 'disabled', reasons: [{ code: 'uninstalled', message: '' }] }).map((a) => a.kind), ['disabled']);
    assert.deepEqual(adviceFor({ ...base, status: 'unknown', reasons: [{ code: 'no_data', message: '' }] }).map((a) => a.kind), ['unknown']);
    assert.deepEqual(adviceFor({ ...base, status: 'healthy', reasons: [], failures: { infra: 3, endpoint: 3, data: 3 } }), []);
    assert.deepEqual(adviceFor({ ...base, status: 'failing', reasons: [{ code: 'auth_expired', message: '' }] }).map((a) => a.kind), ['auth']);
  });
});
