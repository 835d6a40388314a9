import type { Alert } from './model.js';
import { inhibitsByRule, type InhibitRule } from './inhibit-rules.js';
import type { AlertRule } from './rules-model.js';

// Inhibition (docs/alerts.md#inhibition): a cause holds back the symptoms it explains. An
// inhibited alert keeps its state and stays listed (API, pages) with `inhibitedBy`; routing
// notifies nobody of it, so nobody is owed its resolve either.

/** What a source rule's alerts hold back: these rules, on the same integration and tenant (and flow, when the source has one). */
export function inhibitionTargets(rules: readonly AlertRule[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const source of rules) {
    if (!source.enabled) continue;
    const targets = source.inhibits ?? defaultTargets(source, rules);
    if (targets.length > 0) out.set(source.name, new Set(targets.filter((t) => t !== source.name)));
  }
  return out;
}

/**
 * Defaults: a partner incident explains the endpoint failures on its codes, runs that keep
 * failing and staleness; an expired authorisation explains every failure and staleness
 * alert of that connection, calls refused as unauthorised included (calls refused as
 * unauthorised explain the rest but themselves); an infrastructure failure (crash, out of
 * memory) explains the failed runs and staleness of its flow.
 */
function defaultTargets(source: AlertRule, rules: readonly AlertRule[]): string[] {
  const symptom = (r: AlertRule) => r.kind === 'consecutive_failed_runs' || r.kind === 'stale';
  const failures = (r: AlertRule) => r.kind === 'threshold' && r.match.category !== 'data' && r.match.category !== 'infra';
  if (source.kind === 'partner_incident') {
    const explained = (r: AlertRule) =>
      r.kind === 'threshold' && r.match.category === 'endpoint' && r.code !== 'auth' && (r.match.codes.length === 0 || r.match.codes.every((c) => source.codes.includes(c)));
    return rules.filter((r) => symptom(r) || explained(r)).map((r) => r.name);
  }
  if (source.kind === 'event' && source.event === 'auth.expired') return rules.filter((r) => symptom(r) || failures(r)).map((r) => r.name);
  if (source.kind === 'threshold' && source.code === 'auth') return rules.filter((r) => symptom(r) || (failures(r) && r.code !== 'auth')).map((r) => r.name);
  if (source.kind === 'threshold' && source.match.category === 'infra') return rules.filter(symptom).map((r) => r.name);
  return [];
}

/** Whether `source` explains `target`: same integration; the source's tenant (or one of its incident's tenants); its flow if it has one. */
function explains(source: Alert, target: Alert): boolean {
  if (source.labels.integration !== target.labels.integration) return false;
  const tenant = source.labels.tenant === '' ? (source.incident?.tenants.includes(target.labels.tenant) ?? false) : source.labels.tenant === target.labels.tenant;
  if (!tenant) return false;
  if (source.labels.flow !== '' && source.labels.flow !== target.labels.flow) return false;
  // Firing now, or it was when this episode of the target began: a symptom of the incident stays explained until it clears.
  return source.status === 'firing' || (source.resolvedAt !== null && source.firedAt !== null && target.activeSince <= source.resolvedAt && target.activeSince >= source.activeSince - 3_600_000);
}

/**
 * Sets or clears `inhibitedBy` on every unresolved alert, in `alerts`; returns the alerts
 * that changed (version bumped) for the store. Resolved alerts keep what they had: the
 * history says what explained them.
 */
export function applyInhibition(alerts: Map<string, Alert>, rules: readonly AlertRule[], inhibitRules: readonly InhibitRule[] = []): Alert[] {
  const targets = inhibitionTargets(rules);
  if (targets.size === 0 && inhibitRules.length === 0 && ![...alerts.values()].some((a) => a.inhibitedBy)) return [];
  const sources = [...alerts.values()].filter((a) => targets.has(a.labels.rule) && a.firedAt !== null);
  // Alertmanager-style rules (alerts.inhibit_rules) hold back only while their source fires.
  const firing = inhibitRules.length > 0 ? [...alerts.values()].filter((a) => a.status === 'firing') : [];
  const changed: Alert[] = [];
  for (const alert of [...alerts.values()]) {
    if (alert.status === 'resolved') continue;
    const cause =
      sources.find((s) => s.fingerprint !== alert.fingerprint && targets.get(s.labels.rule)!.has(alert.labels.rule) && explains(s, alert)) ??
      firing.find((s) => inhibitRules.some((r) => inhibitsByRule(r, s, alert)));
    const next = cause ? { rule: cause.labels.rule, fingerprint: cause.fingerprint, summary: cause.summary } : undefined;
    if (next?.fingerprint === alert.inhibitedBy?.fingerprint) continue;
    const { inhibitedBy: _old, ...rest } = alert;
    const updated: Alert = { ...rest, ...(next ? { inhibitedBy: next } : {}), version: alert.version + 1 };
    alerts.set(alert.fingerprint, updated);
    changed.push(updated);
  }
  return changed;
}
