import type { AlertRule } from './rules-model.js';
import type { RuleFileError } from './rules.js';

/**
 * Threshold rules whose `match.code` names a code no classification rule can produce: such
 * a rule can never fire (usually a typo, or a code renamed in the classification rules).
 * `producible` holds `category.code` pairs (see producibleCodes in ingest).
 */
export function checkAlertRuleCodes(rules: AlertRule[], producible: Set<string>): RuleFileError[] {
  const codes = new Set([...producible].map((p) => p.slice(p.indexOf('.') + 1)));
  const errors: RuleFileError[] = [];
  for (const rule of rules) {
    if (rule.kind !== 'threshold') continue;
    const category = rule.match.category;
    for (const code of rule.match.codes) {
      const ok = category ? producible.has(`${category}.${code}`) : codes.has(code);
      if (ok) continue;
      errors.push({
        file: rule.source.file,
        line: rule.source.line,
        message: `rule "${rule.name}" match.code "${code}"${category ? ` (category ${category})` : ''}: no classification rule produces it, so the rule could never fire; fix the code or add a classification rule for it (classification.local.yaml)`,
      });
    }
  }
  return errors;
}
