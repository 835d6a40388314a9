import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LineCounter, parseDocument, isMap, isNode, type Document } from 'yaml';
import { RE2JS } from 're2js';
import { z } from 'zod';
import { FAILURE_CATEGORIES, type Failure, type FailureCategory, type FailureSignals } from './types.js';

// Patterns are compiled once here, at load time: classification runs per failed record.
// They run on RE2 (re2js), linear in the message's length: the messages come from
// whoever holds an ingest key, and a backtracking pattern would let one stall ingest.
const pattern = z.string().min(1).transform((source, ctx) => {
  try {
    return RE2JS.compile(source, RE2JS.CASE_INSENSITIVE);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `invalid regex ${JSON.stringify(source)}: ${(err as Error).message}` });
    return z.NEVER;
  }
});

const statusRange = z.union([z.number().int(), z.string()]).transform((value, ctx): [number, number] => {
  if (typeof value === 'number') return [value, value];
  const m = /^\s*(\d{3})\s*(?:-\s*(\d{3}))?\s*$/.exec(value);
  const lo = m ? Number(m[1]) : NaN;
  const hi = m ? Number(m[2] ?? m[1]) : NaN;
  if (!m || lo > hi) {
    ctx.addIssue({ code: 'custom', message: `invalid HTTP status ${JSON.stringify(value)}: use a number or a range like "500-599"` });
    return z.NEVER;
  }
  return [lo, hi];
});

const conditionFields = {
  http_status: z.array(statusRange).min(1).optional(),
  error_type: z.array(pattern).min(1).optional(),
  message: z.array(pattern).min(1).optional(),
  retry_after: z.literal(true).optional(),
  outbound: z.boolean().optional(),
  exit_code: z.array(z.number().int()).min(1).optional(),
};

const hasCondition = (block: Record<string, unknown>): boolean =>
  Object.values(block).some((v) => v !== undefined);
const emptyBlock = { message: 'a match block needs at least one condition (it would match every failure)' };

const conditions = z.strictObject(conditionFields).refine(hasCondition, emptyBlock);
const matchBlock = z
  .strictObject({ ...conditionFields, any: z.array(conditions).min(1).optional() })
  .refine(hasCondition, emptyBlock);

const rule = z.strictObject({
  name: z.string().min(1),
  category: z.enum(FAILURE_CATEGORIES),
  code: z.string().regex(/^[a-z][a-z0-9_]*$/, 'code must be snake_case, e.g. rate_limited'),
  match: matchBlock,
});

/** Schema of a classification rules file (e.g. `alert-rules/classification.yaml`). */
export const classificationRulesSchema = z.strictObject({
  rules: z.array(rule).superRefine((rules, ctx) => {
    const seen = new Set<string>();
    rules.forEach((r, i) => {
      if (seen.has(r.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate rule name "${r.name}"` });
      seen.add(r.name);
    });
  }),
});

/** Validated, ready-to-match classification rules, in file order (first match wins). */
export type ClassificationRules = z.output<typeof classificationRulesSchema>;
/** One validated classification rule. */
export type ClassificationRule = ClassificationRules['rules'][number];
type Conditions = z.output<typeof conditions>;

/** Absolute path of the bundled `alert-rules/classification.yaml` (same from src/ and dist/). */
export function defaultClassificationFile(): string {
  return fileURLToPath(new URL('../../alert-rules/classification.yaml', import.meta.url));
}

/** Reads and validates a rules file; errors name the file and the line of the offending entry. */
export function loadClassificationRules(file: string): ClassificationRules {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`${file}: cannot read classification rules: ${(err as Error).message}`);
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true });
  if (doc.errors.length > 0) {
    const first = doc.errors[0];
    const line = first.linePos?.[0].line ?? 1;
    const reason = first.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
    throw new Error(`${file}:${line}: invalid YAML: ${reason}`);
  }
  const parsed = classificationRulesSchema.safeParse(doc.toJS());
  if (parsed.success) return parsed.data;

  const issue = parsed.error.issues[0];
  const line = lineOf(doc, lineCounter, issue);
  const where = describePath(doc, issue.path);
  const missing = issue.code === 'invalid_type' && issue.path.length > 0 && !doc.hasIn(issue.path);
  const reason = missing ? `missing required field "${String(issue.path.at(-1))}"` : issue.message;
  throw new Error(`${file}:${line}: ${where ? `${where}: ` : ''}${reason}`);
}

/** Classifies one failure: explicit category first, then the first matching rule, else infra · unknown. */
export function classifyFailure(signals: FailureSignals, rules: ClassificationRules): Failure {
  const message = signals.message ?? '';
  const explicit = explicitCategory(signals.category);
  if (explicit) return { category: explicit, code: signals.code ?? 'unspecified', message };

  for (const r of rules.rules) {
    if (matches(r.match, signals)) return { category: r.category, code: r.code, message };
  }
  return { category: 'infra', code: 'unknown', message };
}

function explicitCategory(value: string | undefined): FailureCategory | undefined {
  const v = value?.trim().toLowerCase();
  return (FAILURE_CATEGORIES as readonly string[]).includes(v ?? '') ? (v as FailureCategory) : undefined;
}

function matches(block: Conditions & { any?: Conditions[] }, s: FailureSignals): boolean {
  if (!matchesConditions(block, s)) return false;
  return block.any === undefined || block.any.some((alt) => matchesConditions(alt, s));
}

function matchesConditions(c: Conditions, s: FailureSignals): boolean {
  if (c.http_status) {
    const status = s.httpStatus;
    if (status === undefined || !c.http_status.some(([lo, hi]) => status >= lo && status <= hi)) return false;
  }
  if (c.error_type && !someMatch(c.error_type, s.errorType)) return false;
  if (c.message && !someMatch(c.message, s.message)) return false;
  if (c.retry_after && s.retryAfter !== true) return false;
  // `outbound: false` means "not known to be outbound": runners often leave the flag unset.
  if (c.outbound !== undefined && (s.outbound === true) !== c.outbound) return false;
  if (c.exit_code && (s.exitCode === undefined || !c.exit_code.includes(s.exitCode))) return false;
  return true;
}

function someMatch(patterns: RE2JS[], value: string | undefined): boolean {
  return value !== undefined && value !== '' && patterns.some((p) => p.matcher(value).find());
}

type Issue = z.core.$ZodIssue;

/** Line of the deepest YAML node on the issue's path (or of the unknown key it names). */
export function lineOf(doc: Document, lineCounter: LineCounter, issue: Issue): number {
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  for (let depth = path.length; depth >= 0; depth--) {
    const node = depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth), true);
    if (!isNode(node) || !node.range) continue;
    let offset = node.range[0];
    if (depth === path.length && issue.code === 'unrecognized_keys' && isMap(node)) {
      const pair = node.items.find((p) => isNode(p.key) && String((p.key as { value?: unknown }).value) === issue.keys[0]);
      if (pair && isNode(pair.key) && pair.key.range) offset = pair.key.range[0];
    }
    return lineCounter.linePos(offset).line;
  }
  return 1;
}

/** Human name of where the issue is, e.g. `rule 3 ("auth") match.http_status[0]`. */
export function describePath(doc: Document, path: PropertyKey[]): string {
  if (path[0] !== 'rules' || typeof path[1] !== 'number') return path.map(String).join('.');
  const name = doc.getIn(['rules', path[1], 'name']);
  const rest = path.slice(2).map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
  return `rule ${path[1] + 1}${typeof name === 'string' ? ` ("${name}")` : ''}${rest ? ` ${rest}` : ''}`;
}
