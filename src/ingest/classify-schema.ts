import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, isMap, isNode, type Document } from 'yaml';
import { RE2JS } from 're2js';
import { z } from 'zod';
import { requiredLiterals } from './classify-prefilter.js';
import { FAILURE_CATEGORIES } from './types.js';

/**
 * A compiled, case-insensitive pattern. It runs on RE2 (re2js), linear in the text's
 * length: the messages come from whoever holds an ingest key, and a backtracking pattern
 * (an operator's `(a+)+b`) would let one message stall ingest.
 */
export interface Pattern {
  source: string;
  /** True when the pattern is found anywhere in `text`. */
  test(text: string): boolean;
  toString(): string;
}

function compile(source: string): Pattern {
  const re = RE2JS.compile(source, RE2JS.CASE_INSENSITIVE);
  return { source, test: (text) => re.matcher(text).find(), toString: () => `/${source}/i` };
}

// Patterns are compiled once here, at load time: classification runs per failed record.
const pattern = z.string().min(1).transform((source, ctx) => {
  try {
    return compile(source);
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

/**
 * A list of regexes, also joined into one alternation so a rule costs one test per field,
 * with the literals one of which any match contains (null: unknown; see classify-prefilter).
 */
export interface PatternList {
  all: Pattern;
  parts: Pattern[];
  literals: string[] | null;
}

const patterns = z
  .array(pattern)
  .min(1)
  .transform((parts): PatternList => ({ all: compile(parts.map((p) => `(?:${p.source})`).join('|')), parts, literals: requiredLiterals(parts.map((p) => p.source)) }));

// Vendor codes are identifiers: compared whole and case-insensitively, through a Set.
const codeSet = z
  .array(z.union([z.string().min(1), z.number().int()]))
  .min(1)
  .transform((codes) => new Set(codes.map((c) => String(c).toLowerCase())));

const conditionFields = {
  integration: patterns.optional(),
  http_status: z.array(statusRange).min(1).optional(),
  error_code: codeSet.optional(),
  error_type: patterns.optional(),
  message: patterns.optional(),
  attributes: z.record(z.string().min(1), pattern).optional(),
  target: z.enum(['local', 'remote']).optional(),
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

/** Output codes are snake_case so alert rules can name them (`match.code`). */
export const FAILURE_CODE = /^[a-z][a-z0-9_]*$/;

const rule = z.strictObject({
  name: z.string().min(1),
  category: z.enum(FAILURE_CATEGORIES),
  code: z.string().regex(FAILURE_CODE, 'code must be snake_case, e.g. rate_limited'),
  /** Whether waiting and trying again can help; defaults by code (see classify.ts). */
  retryable: z.boolean().optional(),
  match: matchBlock,
});

/**
 * Schema of a classification rules file. A vendor file also names the integrations it
 * applies to (`integrations`, regexes against the event's integration) and its source.
 */
export const classificationRulesSchema = z.strictObject({
  vendor: z.string().min(1).optional(),
  integrations: z.array(pattern).min(1).optional(),
  source: z.union([z.string(), z.array(z.string())]).optional(),
  rules: z.array(rule).superRefine((rules, ctx) => {
    const seen = new Set<string>();
    rules.forEach((r, i) => {
      if (seen.has(r.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate rule name "${r.name}"` });
      seen.add(r.name);
    });
  }),
});

/** One validated rules file. */
export type RulesFile = z.output<typeof classificationRulesSchema>;
/** One validated classification rule. */
export type ClassificationRule = RulesFile['rules'][number];
/** One block of conditions (all must hold). */
export type Conditions = z.output<typeof conditions>;

/** Reads and validates a rules file; errors name the file and the line of the offending entry. */
export function readRulesFile(file: string): RulesFile {
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
