import { z } from 'zod';
import type { Alert, AlertLabels } from './model.js';
import { compilePattern, matches, SILENCE_LABELS, type Matcher } from './silences.js';

// Alertmanager-style inhibition (docs/alerts.md#inhibition): `alerts.inhibit_rules` in the
// config file, beside the routes, for operators who think in Alertmanager's terms. Each
// rule says: while an alert matching every source matcher fires, alerts matching every
// target matcher whose `equal` labels have the same values are held back. Rules' own
// `inhibits:` lists (and their defaults) still apply; these add to them.

const MATCHER = /^\s*([a-z_]+)\s*(=~|!~|!=|=)\s*(?:"((?:[^"\\]|\\.)*)"|([^"\s]*))\s*$/;

/** `rule="partner-incident"`, `code=~"unavailable|timeout"`, `tenant!=""` (alertname is rule). */
const matcherString = z.string().transform((text, ctx): Matcher => {
  const m = MATCHER.exec(text);
  if (!m) {
    ctx.addIssue({ code: 'custom', message: `invalid matcher ${JSON.stringify(text)}: write label="value", label!="value", label=~"regex" or label!~"regex"` });
    return z.NEVER;
  }
  const label = m[1] === 'alertname' ? 'rule' : m[1];
  if (!(SILENCE_LABELS as readonly string[]).includes(label)) {
    ctx.addIssue({ code: 'custom', message: `invalid matcher ${JSON.stringify(text)}: unknown label "${m[1]}"; use one of ${SILENCE_LABELS.join(', ')}` });
    return z.NEVER;
  }
  const value = m[3] !== undefined ? m[3].replace(/\\(.)/g, '$1') : m[4];
  const op = m[2] as Matcher['op'];
  if (op === '=~' || op === '!~') {
    try {
      compilePattern(value);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `invalid matcher ${JSON.stringify(text)}: not a valid regular expression: ${(err as Error).message}` });
      return z.NEVER;
    }
  }
  return { label: label as Matcher['label'], op, value };
});

const EQUAL_LABELS = ['rule', 'severity', 'category', 'code', 'tenant', 'integration', 'flow'] as const;

export const inhibitRuleSchema = z.strictObject({
  source_matchers: z.array(matcherString).min(1, 'give at least one source matcher, e.g. rule="partner-incident"'),
  target_matchers: z.array(matcherString).min(1, 'give at least one target matcher, e.g. rule=~"consecutive-failed-runs|stale-connection"'),
  equal: z.array(z.enum(EQUAL_LABELS)).default([]),
});

/** One validated inhibit rule. */
export interface InhibitRule {
  sourceMatchers: Matcher[];
  targetMatchers: Matcher[];
  equal: (typeof EQUAL_LABELS)[number][];
}

export const toInhibitRule = (r: z.output<typeof inhibitRuleSchema>): InhibitRule => ({ sourceMatchers: r.source_matchers, targetMatchers: r.target_matchers, equal: r.equal });

const all = (ms: Matcher[], labels: AlertLabels) => ms.every((m) => matches(m, labels));

/**
 * Whether `source` holds back `target` under one inhibit rule. A partner incident's
 * operator alert has no tenant of its own: for `equal: [tenant]` it stands for each of
 * its incident's tenants.
 */
export function inhibitsByRule(rule: InhibitRule, source: Alert, target: Alert): boolean {
  if (source.fingerprint === target.fingerprint || !all(rule.sourceMatchers, source.labels) || !all(rule.targetMatchers, target.labels)) return false;
  return rule.equal.every((l) =>
    l === 'tenant' && source.labels.tenant === '' && source.incident ? source.incident.tenants.includes(target.labels.tenant) : source.labels[l] === target.labels[l],
  );
}
