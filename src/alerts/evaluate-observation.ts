import { createHash } from 'node:crypto';
import type { AlertFigures, AlertLabels, Observation } from './model.js';
import type { AlertRule, GroupDimension } from './rules-model.js';
import { renderText, whereOf } from './rules-text.js';

/** The group an observation is about; a dimension the rule does not group by is ''. */
export interface Group {
  tenant: string;
  integration: string;
  flow: string;
}

/** The group of a row under a rule's group_by. */
export function groupOf(rule: Pick<AlertRule, 'groupBy'>, row: Group): Group {
  const has = (d: GroupDimension) => rule.groupBy.includes(d);
  return { tenant: has('tenant') ? row.tenant : '', integration: has('integration') ? row.integration : '', flow: has('flow') ? row.flow : '' };
}

/** Map key of a group. */
export const groupKey = (g: Group) => `${g.tenant}\u0000${g.integration}\u0000${g.flow}`;

/**
 * Stable identity of one alert: a hash of the rule name and the group's labels (plus a
 * discriminator for one-shot event rules, so two high-value records are two alerts).
 * Severity, texts and audience are left out on purpose: editing them must not re-fire.
 */
export function alertFingerprint(rule: string, group: Group, discriminator = ''): string {
  const parts = [rule, group.tenant, group.integration, group.flow, ...(discriminator ? [discriminator] : [])];
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 32);
}

/** What a judged group adds to its observation. */
export interface Judgement {
  group: Group;
  active: boolean;
  /** Placeholder values for the rule's summary and action. */
  vars: Record<string, string | number | undefined>;
  value?: number;
  threshold?: number;
  records?: { id: string; message: string }[];
  valueAtRisk?: { amount: number; currency: string } | null;
  discriminator?: string;
  /** Running figures of a group with failures (alerts/evaluate-settle.ts). */
  figures?: AlertFigures;
}

/** Builds the Observation of one judged group: labels, fingerprint, rendered texts. */
export function toObservation(rule: AlertRule, j: Judgement): Observation {
  const labels: AlertLabels = {
    rule: rule.name,
    severity: rule.severity,
    category: rule.category,
    code: rule.code,
    audience: [...rule.audience],
    tenant: j.group.tenant,
    integration: j.group.integration,
    flow: j.group.flow,
  };
  const vars = { rule: rule.name, severity: rule.severity, category: rule.category, code: rule.code, ...j.group, where: whereOf(j.group), ...j.vars };
  return {
    fingerprint: alertFingerprint(rule.name, j.group, j.discriminator),
    labels,
    active: j.active,
    summary: renderText(rule.summary, vars),
    action: renderText(rule.action, vars),
    records: j.records ?? [],
    valueAtRisk: j.valueAtRisk ?? null,
    ...(j.value !== undefined ? { value: j.value } : {}),
    ...(j.threshold !== undefined ? { threshold: j.threshold } : {}),
    ...(j.figures ? { figures: j.figures } : {}),
    ...(rule.kind === 'event' && rule.oneShot ? { oneShot: true } : {}),
  };
}
