import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import { describeRulePath, yamlIssueLine } from '../ingest/index.js';
import { normaliseRule, type AlertRule } from './rules-model.js';
import { RULE_KINDS, RULE_SCHEMAS, checkRule, type RuleKind } from './rules-schema.js';

/** The failure classification rules share the directory but are not alert rules (docs/architecture.md#failure-categories). */
export const CLASSIFICATION_FILE = 'classification.yaml';
/** The operator's classification overrides, also not alert rules. */
const CLASSIFICATION_FILES = new Set([CLASSIFICATION_FILE, 'classification.local.yaml']);

/** One problem in a rules file, at the line of the offending rule or field. */
export interface RuleFileError {
  file: string;
  /** 1-based; absent when the problem is the directory itself. */
  line?: number;
  message: string;
}

/** `file:line: message`, as `syncwatch rules check` prints it. */
export const formatRuleError = (e: RuleFileError) => `${e.file}${e.line !== undefined ? `:${e.line}` : ''}: ${e.message}`;

/** Thrown when rule files do not validate; `errors` has every problem found, one per line of the message. */
export class AlertRulesError extends Error {
  constructor(readonly errors: RuleFileError[]) {
    super(errors.map(formatRuleError).join('\n'));
    this.name = 'AlertRulesError';
  }
}

/** The result of checking a rules directory: the rules when there are no errors. */
export interface AlertRulesCheck {
  rules: AlertRule[];
  files: string[];
  errors: RuleFileError[];
}

/** The alert rule files of a directory: every `*.yaml` / `*.yml` but the classification files, by name. */
export function alertRuleFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && /\.ya?ml$/i.test(e.name) && !CLASSIFICATION_FILES.has(e.name.toLowerCase()))
    .map((e) => path.join(dir, e.name))
    .sort();
}

/** Validates every rule file of a directory, collecting every error (file:line) rather than stopping at the first. */
export function checkAlertRules(dir: string): AlertRulesCheck {
  let files: string[];
  try {
    files = alertRuleFiles(dir);
  } catch (err) {
    return { rules: [], files: [], errors: [{ file: dir, message: `cannot read the alert rules directory: ${(err as Error).message}` }] };
  }
  const rules: AlertRule[] = [];
  const errors: RuleFileError[] = [];
  const firstByName = new Map<string, { file: string; line: number }>();
  for (const file of files) {
    const parsed = parseRuleFile(file);
    errors.push(...parsed.errors);
    for (const { rule, nameLine } of parsed.rules) {
      const first = firstByName.get(rule.name);
      if (first) {
        errors.push({ file, line: nameLine, message: `duplicate rule name "${rule.name}" (first defined at ${first.file}:${first.line})` });
        continue;
      }
      firstByName.set(rule.name, { file, line: nameLine });
      rules.push(rule);
    }
  }
  return { rules: errors.length ? [] : rules, files, errors };
}

/** Loads and validates the alert rules of a directory; throws AlertRulesError naming file:line. */
export function loadAlertRules(dir: string): AlertRule[] {
  const { rules, errors } = checkAlertRules(dir);
  if (errors.length) throw new AlertRulesError(errors);
  return rules;
}

type Issue = z.core.$ZodIssue;
type Path = (string | number)[];

const fileSchema = z.strictObject({ rules: z.array(z.unknown()).default([]) });
const isMapping = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses one file: its rules (with the line of each name) and every error in it. */
function parseRuleFile(file: string): { rules: { rule: AlertRule; nameLine: number }[]; errors: RuleFileError[] } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return { rules: [], errors: [{ file, message: `cannot read: ${(err as Error).message}` }] };
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true });
  if (doc.errors.length > 0) {
    return {
      rules: [],
      errors: doc.errors.map((e) => ({
        file,
        line: e.linePos?.[0].line ?? 1,
        message: `invalid YAML: ${e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`,
      })),
    };
  }
  const errors: RuleFileError[] = [];
  const report = (issue: Issue) => errors.push({ file, line: yamlIssueLine(doc, lineCounter, issue), message: describeIssue(doc, issue) });

  const top = fileSchema.safeParse(doc.toJS() ?? {});
  if (!top.success) {
    top.error.issues.forEach(report);
    return { rules: [], errors };
  }
  const rules: { rule: AlertRule; nameLine: number }[] = [];
  top.data.rules.forEach((item, i) => {
    const at = (p: Path): Path => ['rules', i, ...p];
    const custom = (p: Path, message: string) => report({ code: 'custom', path: at(p), message, input: undefined } as Issue);
    if (!isMapping(item)) return custom([], 'a rule is a map of fields: name, kind, severity, …');
    const kind = item.kind;
    if (kind === undefined) return custom(['kind'], `is required: one of ${RULE_KINDS.join(', ')}`);
    if (typeof kind !== 'string' || !(RULE_KINDS as readonly string[]).includes(kind)) {
      return custom(['kind'], `unknown kind ${JSON.stringify(kind)}: use one of ${RULE_KINDS.join(', ')}`);
    }
    const parsed = RULE_SCHEMAS[kind as RuleKind].safeParse(item);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) report({ ...issue, path: at(issue.path.filter((p): p is string | number => typeof p !== 'symbol')) } as Issue);
      return;
    }
    let failed = false;
    checkRule(parsed.data, (p, message) => {
      failed = true;
      custom(p, message);
    });
    if (failed) return;
    const line = (p: Path) => yamlIssueLine(doc, lineCounter, { code: 'custom', path: at(p), message: '', input: undefined } as Issue);
    rules.push({ rule: normaliseRule(parsed.data, { file, line: line([]) }), nameLine: line(['name']) });
  });
  return { rules, errors };
}

/** `rule 2 ("partner-outage") window: invalid duration "5 minutes": …` */
function describeIssue(doc: Document, issue: Issue): string {
  const where = describeRulePath(doc, issue.path);
  const missing = (issue.code === 'invalid_type' || issue.code === 'invalid_union') && issue.path.length > 0 && !doc.hasIn(issue.path);
  const reason = missing ? `missing required field "${String(issue.path.at(-1))}"` : issue.message;
  return `${where ? `${where}: ` : ''}${reason}`;
}
