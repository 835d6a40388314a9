import { detectPartnerOutages, outageVars, tenantNotice, type PartnerOutage } from '../incidents/index.js';
import { formatDuration, formatTime } from '../format/index.js';
import { HEALTH_DEFAULTS } from '../config.js';
import { getFlowFacts } from '../insights/index.js';
import type { Driver } from '../store/index.js';
import { alertFingerprint } from './evaluate-observation.js';
import type { Alert, Observation } from './model.js';
import type { AlertRule, PartnerIncidentRule } from './rules-model.js';
import { renderText } from './rules-text.js';

// Partner incidents as alerts (docs/alerts.md#partner-incidents): per integration in an
// outage, one operator alert that carries the incident's figures (tenant '', so the ops
// route sends one message and Datadog one event per transition, under one aggregation
// key), and one notice per affected tenant in tenant wording. Both resolve together once
// the connections work again; the symptoms they explain are inhibited (inhibit.ts).

export const isIncidentRule = (rule: AlertRule): rule is PartnerIncidentRule => rule.kind === 'partner_incident';

/** The operator alert of an integration's incident under a rule. */
export const incidentFingerprint = (rule: string, integration: string) => alertFingerprint(rule, { tenant: '', integration, flow: '' });

/** Observations of every enabled partner_incident rule as of `now` (only outages: the engine treats the rest as clear). */
export async function observeIncidents(driver: Driver, rules: readonly AlertRule[], alerts: ReadonlyMap<string, Alert>, now: number): Promise<Observation[]> {
  const out: Observation[] = [];
  const incidentRules = rules.filter((r): r is PartnerIncidentRule => r.enabled && isIncidentRule(r));
  if (incidentRules.length === 0) return out;
  // The per-flow state (one row per flow), as window rules read it: detection scans events only when it points at an outage.
  const flows = (await getFlowFacts(driver, HEALTH_DEFAULTS, { now })).flows.map((f) => ({ ...f, lastRunAt: f.state.lastRunAt, lastRecord: f.state.lastRecord, recentRuns: f.state.recentRuns.filter((r) => r.endedAt <= now) }));
  for (const rule of incidentRules) {
    const outages = await detectPartnerOutages(driver, rule, now, flows);
    for (const o of outages) out.push(...incidentObservations(rule, o, alerts.get(incidentFingerprint(rule.name, o.integration))));
  }
  return out;
}

function incidentObservations(rule: PartnerIncidentRule, o: PartnerOutage, prev: Alert | undefined): Observation[] {
  // "Failing since" is the episode's start: the window slides, the start does not.
  const since = prev && prev.status !== 'resolved' && prev.incident ? Math.min(prev.incident.since, o.since) : o.since;
  const group = { tenant: '', integration: o.integration, flow: '' };
  const vars = { rule: rule.name, severity: rule.severity, category: rule.category, code: rule.code, ...group, where: o.integration, ...outageVars(o, formatDuration(rule.windowMs)) };
  const labels = { rule: rule.name, severity: rule.severity, category: rule.category, code: rule.code, flow: '', integration: o.integration };
  const ops: Observation = {
    fingerprint: incidentFingerprint(rule.name, o.integration),
    labels: { ...labels, tenant: '', audience: rule.audience.filter((a) => a === 'operator') },
    active: true,
    summary: renderText(rule.summary, vars),
    action: renderText(rule.action, vars),
    records: o.connections.slice(0, 10).map((c) => ({
      id: c.connection ? `${c.tenant}/${c.connection}` : c.tenant,
      message: `${c.failures} × ${c.code} since ${formatTime(c.firstFailureAt)}`,
    })),
    valueAtRisk: o.valueAtRisk,
    value: o.tenants.length,
    threshold: rule.minTenants,
    incident: {
      since,
      tenants: o.tenants,
      connections: o.connections.map((c) => ({ tenant: c.tenant, connection: c.connection, failures: c.failures, code: c.code })),
      activeConnections: o.activeConnections,
      failedRecords: o.failedRecords,
    },
  };
  if (!rule.audience.includes('tenant')) return [ops];
  const notice = tenantNotice(o.integration, since);
  const tenants = o.tenants.map(
    (tenant): Observation => ({
      fingerprint: alertFingerprint(rule.name, { ...group, tenant }),
      labels: { ...labels, tenant, audience: ['tenant'] },
      active: true,
      summary: notice.summary,
      action: notice.action,
      records: [],
      valueAtRisk: null,
    }),
  );
  return [ops, ...tenants];
}
