import type { Alert, AlertStatus, Observation, Transition } from './model.js';

/** A rule's hold-downs, in milliseconds: how long a condition must hold before firing, and stay clear before resolving. */
export interface RuleTiming {
  for: number;
  resolve_after: number;
}

/** Every status change of one step, for the history log (pending and cancelled included). */
export interface StatusChange {
  alert: Alert;
  from: AlertStatus | null;
  to: AlertStatus;
  /** A pending alert whose condition cleared before `for` elapsed, or a one-shot aged out: nothing is notified. */
  silent: boolean;
}

/** What one step of the state machine did. */
export interface Step {
  /** What the router turns into notifications: firing and resolved (repeats are the router's). */
  transitions: Transition[];
  /** Every alert whose stored row must be rewritten (version bumped). */
  changed: Alert[];
  statusChanges: StatusChange[];
}

export interface StepOptions {
  /**
   * Rules this evaluation covered completely: an alert of such a rule with no observation
   * is treated as inactive (window evaluators need only report what is true). Event
   * observations cover nothing, so they leave other alerts alone.
   */
  covered?: ReadonlySet<string>;
}

/**
 * Advances every alert by one evaluation (docs/architecture.md#alerts-and-notifications). Pure apart from mutating
 * `alerts`: no I/O, time comes in as `now`.
 *
 * pending --(true for `for`)--> firing --(false for `resolve_after`)--> resolved.
 * True again during the resolve hold-down: stays firing and says nothing, so a flapping
 * condition notifies once per episode. A pending alert whose condition clears is
 * dropped silently. One-shot (event) observations fire at once, are de-duplicated while
 * firing, and resolve silently once no new occurrence was seen for `resolve_after`.
 */
export function applyObservations(
  alerts: Map<string, Alert>,
  observations: readonly Observation[],
  now: number,
  timing: (rule: string) => RuleTiming,
  options: StepOptions = {},
): Transition[] {
  return stepAlerts(alerts, observations, now, timing, options).transitions;
}

/** `applyObservations` with everything the engine persists: changed alerts and status changes. */
export function stepAlerts(
  alerts: Map<string, Alert>,
  observations: readonly Observation[],
  now: number,
  timing: (rule: string) => RuleTiming,
  options: StepOptions = {},
): Step {
  const step: Step = { transitions: [], changed: [], statusChanges: [] };
  const seen = new Set<string>();
  // In order: event observations come in event-time order, so "expired, then refreshed" ends clear.
  for (const o of observations) {
    seen.add(o.fingerprint);
    const t = timing(o.labels.rule);
    if (o.active) observeActive(alerts, o, now, t, step);
    else observeClear(alerts, withFigures(alerts.get(o.fingerprint), o), now, t, step);
  }
  for (const alert of [...alerts.values()]) {
    if (seen.has(alert.fingerprint) || alert.status === 'resolved') continue;
    const t = timing(alert.labels.rule);
    if (alert.oneShot) ageOneShot(alerts, alert, now, t, step);
    // Event rules resolve on a clearing event; the hold-down after it elapses here, between events.
    else if (options.covered?.has(alert.labels.rule) || (alert.status === 'firing' && alert.clearSince !== null)) {
      observeClear(alerts, alert, now, t, step);
    }
  }
  return step;
}

function observeActive(alerts: Map<string, Alert>, o: Observation, now: number, t: RuleTiming, step: Step): void {
  const prev = alerts.get(o.fingerprint);
  if (!prev || prev.status === 'resolved') {
    const fresh = newEpisode(o, now, prev);
    if (o.oneShot || t.for <= 0) fire(alerts, fresh, prev?.status ?? null, now, step);
    else change(alerts, fresh, prev?.status ?? null, false, step);
    return;
  }
  const content = withContent(prev, o);
  if (prev.status === 'pending') {
    if (now - prev.activeSince >= t.for) fire(alerts, content, 'pending', now, step);
    else if (!sameContent(prev, content)) change(alerts, content, null, false, step);
    return;
  }
  // Firing: a one-shot re-occurrence restarts its quiet period; a window condition true again ends the resolve hold-down.
  const next = { ...content, clearSince: o.oneShot ? now : null };
  if (!sameContent(prev, next)) change(alerts, next, null, false, step);
}

function observeClear(alerts: Map<string, Alert>, alert: Alert | undefined, now: number, t: RuleTiming, step: Step): void {
  if (!alert || alert.status === 'resolved') return;
  if (alert.oneShot) return ageOneShot(alerts, alert, now, t, step);
  if (alert.status === 'pending') {
    // Never fired: nobody was told, so nobody is told it cleared.
    change(alerts, { ...alert, status: 'resolved', resolvedAt: now, clearSince: now }, 'pending', true, step);
    return;
  }
  const clearSince = alert.clearSince ?? now;
  if (now - clearSince >= t.resolve_after) {
    const resolved = change(alerts, { ...alert, status: 'resolved', resolvedAt: now, clearSince }, 'firing', false, step);
    step.transitions.push({ alert: resolved, kind: 'resolved' });
  } else if (alert.clearSince === null) {
    change(alerts, { ...alert, clearSince }, null, false, step);
  }
}

function ageOneShot(alerts: Map<string, Alert>, alert: Alert, now: number, t: RuleTiming, step: Step): void {
  if (alert.status === 'pending') {
    change(alerts, { ...alert, status: 'resolved', resolvedAt: now }, 'pending', true, step);
    return;
  }
  const since = alert.clearSince ?? alert.firedAt ?? now;
  if (now - since >= t.resolve_after) change(alerts, { ...alert, status: 'resolved', resolvedAt: now }, 'firing', true, step);
}

function newEpisode(o: Observation, now: number, prev: Alert | undefined): Alert {
  const { active: _active, ...rest } = o;
  return {
    ...rest,
    status: 'pending',
    activeSince: now,
    firedAt: null,
    resolvedAt: null,
    clearSince: null,
    lastNotifiedAt: prev?.lastNotifiedAt ?? null,
    version: prev?.version ?? 0,
  };
}

function fire(alerts: Map<string, Alert>, alert: Alert, from: AlertStatus | null, now: number, step: Step): void {
  // An event is instantaneous: its condition is clear again right after it fired.
  const fired = change(alerts, { ...alert, status: 'firing', firedAt: now, clearSince: alert.oneShot ? now : null }, from, false, step);
  step.transitions.push({ alert: fired, kind: 'firing' });
}

/**
 * Every change makes a new object (bumped version) in the map, so alerts already handed
 * to the router or the store are never mutated behind their backs. `from` names the
 * status left, or null when the status did not change.
 */
function change(alerts: Map<string, Alert>, next: Alert, from: AlertStatus | null, silent: boolean, step: Step): Alert {
  const prev = alerts.get(next.fingerprint);
  const alert = { ...next, version: Math.max(next.version, prev?.version ?? 0) + 1 };
  alerts.set(alert.fingerprint, alert);
  step.changed.push(alert);
  if (from !== alert.status) step.statusChanges.push({ alert, from, to: alert.status, silent });
  return alert;
}

function withContent(alert: Alert, o: Observation): Alert {
  return {
    ...alert,
    labels: o.labels,
    summary: o.summary,
    action: o.action,
    records: o.records,
    valueAtRisk: o.valueAtRisk,
    value: o.value,
    threshold: o.threshold,
    oneShot: o.oneShot,
    incident: o.incident,
    figures: o.figures,
  };
}

/** A clearing observation still brings the group's latest figures (records synced since), for the resolve to state. */
function withFigures(alert: Alert | undefined, o: Observation): Alert | undefined {
  if (!alert || !o.figures || alert.status !== 'firing' || JSON.stringify(alert.figures) === JSON.stringify(o.figures)) return alert;
  return { ...alert, figures: o.figures };
}

function sameContent(a: Alert, b: Alert): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
