import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Alert, AlertLabels, Observation } from '../../src/alerts/model.js';
import { applyObservations, stepAlerts, type RuleTiming } from '../../src/alerts/state.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 22, 12, 0, 0);

function observation(fingerprint: string, active: boolean, labels: Partial<AlertLabels> = {}, extra: Partial<Observation> = {}): Observation {
  return {
    fingerprint,
    active,
    labels: { rule: 'outage', severity: 'critical', category: 'endpoint', code: 'unavailable', audience: ['operator'], tenant: 'acme', integration: 'salesforce', flow: 'orders.export', ...labels },
    summary: 'salesforce is failing',
    action: 'nothing to do, we are on it',
    records: [],
    valueAtRisk: null,
    ...extra,
  };
}

const timing = (t: RuleTiming) => () => t;

describe('alert state machine', () => {
  test('a condition waits `for` in pending, then fires once', () => {
    const alerts = new Map<string, Alert>();
    const t = timing({ for: 2 * MIN, resolve_after: 5 * MIN });
    assert.deepEqual(applyObservations(alerts, [observation('a', true)], T0, t), []);
    assert.equal(alerts.get('a')!.status, 'pending');
    assert.deepEqual(applyObservations(alerts, [observation('a', true)], T0 + MIN, t), []);
    const fired = applyObservations(alerts, [observation('a', true)], T0 + 2 * MIN, t);
    assert.deepEqual(fired.map((x) => x.kind), ['firing']);
    assert.equal(fired[0].alert.firedAt, T0 + 2 * MIN);
    assert.equal(fired[0].alert.activeSince, T0);
    assert.deepEqual(applyObservations(alerts, [observation('a', true)], T0 + 3 * MIN, t), [], 'still firing: no new transition');
  });

  test('a pending alert whose condition clears is dropped without a word', () => {
    const alerts = new Map<string, Alert>();
    const t = timing({ for: 5 * MIN, resolve_after: 0 });
    applyObservations(alerts, [observation('a', true)], T0, t);
    const step = stepAlerts(alerts, [observation('a', false)], T0 + MIN, t);
    assert.deepEqual(step.transitions, []);
    assert.equal(alerts.get('a')!.status, 'resolved');
    assert.equal(alerts.get('a')!.firedAt, null);
    assert.deepEqual(step.statusChanges.map((c) => [c.from, c.to, c.silent]), [['pending', 'resolved', true]]);
  });

  test('resolves only after the condition stayed clear for resolve_after, and says so once', () => {
    const alerts = new Map<string, Alert>();
    const t = timing({ for: 0, resolve_after: 5 * MIN });
    assert.deepEqual(applyObservations(alerts, [observation('a', true)], T0, t).map((x) => x.kind), ['firing']);
    assert.deepEqual(applyObservations(alerts, [observation('a', false)], T0 + MIN, t), []);
    assert.equal(alerts.get('a')!.clearSince, T0 + MIN);
    assert.deepEqual(applyObservations(alerts, [observation('a', false)], T0 + 5 * MIN, t), []);
    const resolved = applyObservations(alerts, [observation('a', false)], T0 + 6 * MIN, t);
    assert.deepEqual(resolved.map((x) => x.kind), ['resolved']);
    assert.equal(resolved[0].alert.resolvedAt, T0 + 6 * MIN);
    assert.deepEqual(applyObservations(alerts, [observation('a', false)], T0 + 7 * MIN, t), []);
  });

  test('true again during the resolve hold-down: stays firing, no notification', () => {
    const alerts = new Map<string, Alert>();
    const t = timing({ for: 0, resolve_after: 5 * MIN });
    applyObservations(alerts, [observation('a', true)], T0, t);
    applyObservations(alerts, [observation('a', false)], T0 + MIN, t);
    assert.deepEqual(applyObservations(alerts, [observation('a', true)], T0 + 2 * MIN, t), []);
    assert.equal(alerts.get('a')!.status, 'firing');
    assert.equal(alerts.get('a')!.clearSince, null);
    assert.equal(alerts.get('a')!.firedAt, T0, 'the same episode');
  });

  test('a condition flapping every tick for an hour fires once and never resolves', () => {
    const alerts = new Map<string, Alert>();
    const t = timing({ for: 0, resolve_after: 5 * MIN });
    const kinds: string[] = [];
    for (let i = 0; i <= 120; i++) {
      kinds.push(...applyObservations(alerts, [observation('a', i % 2 === 0)], T0 + i * 30_000, t).map((x) => x.kind));
    }
    assert.deepEqual(kinds, ['firing']);
  });

  test('a condition flapping faster than `for` never fires at all', () => {
    const alerts = new Map<string, Alert>();
    const t = timing({ for: MIN, resolve_after: 5 * MIN });
    const kinds: string[] = [];
    for (let i = 0; i <= 120; i++) {
      kinds.push(...applyObservations(alerts, [observation('a', i % 2 === 0)], T0 + i * 30_000, t).map((x) => x.kind));
    }
    assert.deepEqual(kinds, []);
  });

  test('with a window evaluation, an alert of a covered rule that is not observed counts as clear', () => {
    const alerts = new Map<string, Alert>();
    const t = timing({ for: 0, resolve_after: 0 });
    applyObservations(alerts, [observation('a', true), observation('b', true, { rule: 'other' })], T0, t);
    const step = applyObservations(alerts, [], T0 + MIN, t, { covered: new Set(['outage']) });
    assert.deepEqual(step.map((x) => [x.alert.fingerprint, x.kind]), [['a', 'resolved']]);
    assert.equal(alerts.get('b')!.status, 'firing', 'a rule not covered keeps its alerts');
  });

  test('a one-shot event fires at once, is not repeated while firing, and resolves silently after its quiet period', () => {
    const alerts = new Map<string, Alert>();
    const t = timing({ for: 10 * MIN, resolve_after: 60 * MIN });
    const event = observation('e', true, { rule: 'token-expiring', code: 'auth' }, { oneShot: true });
    assert.deepEqual(applyObservations(alerts, [event], T0, t).map((x) => x.kind), ['firing'], 'no `for` wait for events');
    assert.deepEqual(applyObservations(alerts, [event], T0 + 30 * MIN, t), [], 'a re-sent event is the same news');
    assert.deepEqual(applyObservations(alerts, [], T0 + 80 * MIN, t), [], 'quiet period restarted at the re-send');
    assert.equal(alerts.get('e')!.status, 'firing');
    const step = stepAlerts(alerts, [], T0 + 91 * MIN, t);
    assert.deepEqual(step.transitions, [], 'no resolved notification for an event');
    assert.equal(alerts.get('e')!.status, 'resolved');
    assert.deepEqual(applyObservations(alerts, [event], T0 + 100 * MIN, t).map((x) => x.kind), ['firing'], 'news again after it aged out');
  });

  test('event observations apply in order: expired then refreshed in one batch ends clear', () => {
    const alerts = new Map<string, Alert>();
    const t = timing({ for: 0, resolve_after: 0 });
    const labels = { rule: 'auth-expired', code: 'auth' };
    const step = stepAlerts(alerts, [observation('x', true, labels), observation('x', false, labels)], T0, t);
    assert.deepEqual(step.transitions.map((x) => x.kind), ['firing', 'resolved']);
    assert.equal(alerts.get('x')!.status, 'resolved');
  });

  test('an event rule clearing with a hold-down resolves later, between events', () => {
    const alerts = new Map<string, Alert>();
    const t = timing({ for: 0, resolve_after: 5 * MIN });
    applyObservations(alerts, [observation('x', true, { rule: 'auth-expired' })], T0, t);
    applyObservations(alerts, [observation('x', false, { rule: 'auth-expired' })], T0 + MIN, t);
    assert.deepEqual(applyObservations(alerts, [], T0 + 3 * MIN, t), []);
    assert.deepEqual(applyObservations(alerts, [], T0 + 6 * MIN, t).map((x) => x.kind), ['resolved']);
  });

  test('every change bumps the version and never mutates an alert already handed out', () => {
    const alerts = new Map<string, Alert>();
    const t = timing({ for: 0, resolve_after: 0 });
    const [fired] = applyObservations(alerts, [observation('a', true)], T0, t);
    const v = fired.alert.version;
    applyObservations(alerts, [observation('a', true, {}, { summary: 'worse now' })], T0 + MIN, t);
    assert.equal(fired.alert.summary, 'salesforce is failing');
    assert.equal(alerts.get('a')!.summary, 'worse now');
    assert.ok(alerts.get('a')!.version > v);
    const unchanged = stepAlerts(alerts, [observation('a', true, {}, { summary: 'worse now' })], T0 + 2 * MIN, t);
    assert.deepEqual(unchanged.changed, [], 'nothing new: nothing to write');
  });

  test('a new episode after a resolve starts over and fires again', () => {
    const alerts = new Map<string, Alert>();
    const t = timing({ for: 0, resolve_after: 0 });
    applyObservations(alerts, [observation('a', true)], T0, t);
    applyObservations(alerts, [observation('a', false)], T0 + MIN, t);
    const again = applyObservations(alerts, [observation('a', true)], T0 + 2 * MIN, t);
    assert.deepEqual(again.map((x) => x.kind), ['firing']);
    assert.equal(again[0].alert.firedAt, T0 + 2 * MIN);
    assert.equal(again[0].alert.resolvedAt, null);
  });
});
