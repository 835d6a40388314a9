import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepareSignals, type PreparedSignals } from './classify-context.js';
import { readRulesFile, type ClassificationRule, type Conditions, type Pattern, type PatternList } from './classify-schema.js';
import { FAILURE_CATEGORIES, type Failure, type FailureCategory, type FailureSignals } from './types.js';
import { mayMatch } from './classify-prefilter.js';

export { lineOf, describePath, type ClassificationRule } from './classify-schema.js';

/** The rules of one vendor file: tried only for failures of the integrations it names. */
export interface VendorRules {
  vendor: string;
  file: string;
  integrations: Pattern[];
  rules: ClassificationRule[];
}

/**
 * Everything classification uses, by precedence: `overrides` (the operator's own file,
 * hot-reloaded, so mutable), then the vendor files whose integrations match, then the
 * generic `rules`. A file loaded alone has only `rules`.
 */
export interface ClassificationRules {
  rules: ClassificationRule[];
  vendors: VendorRules[];
  overrides: ClassificationRule[];
}

/** A classification with what produced it: the answer of `syncwatch classify` and `POST /v1/classify`. */
export interface Classification extends Failure {
  retryable: boolean;
  /** `explicit`, `override:<name>`, `vendor:<vendor>:<name>`, `generic:<name>` or `default:unknown`. */
  rule: string;
  /** Which signals made the rule hold, in words. */
  reason: string;
}

/**
 * Whether trying again later can help, when a rule does not say: waiting helps a rate
 * limit, an outage, a timeout or the runner's own restarting dependency; it does not fix a
 * record, a credential, a certificate or a configuration.
 */
const RETRYABLE_CODES = new Set(['rate_limited', 'unavailable', 'timeout', 'dependency', 'queue']);

/** Whether failures of this code are retryable when their rule does not say (alert payloads use it). */
export const isRetryableCode = (code: string): boolean => RETRYABLE_CODES.has(code);

/** Absolute path of the bundled `alert-rules/classification.yaml` (same from src/ and dist/). */
export function defaultClassificationFile(): string {
  return fileURLToPath(new URL('../../alert-rules/classification.yaml', import.meta.url));
}

/** Directory of the bundled vendor rule files (`alert-rules/vendors/*.yaml`). */
export function defaultVendorDir(): string {
  return fileURLToPath(new URL('../../alert-rules/vendors/', import.meta.url));
}

/** The operator's override file in a rules directory: tried before every shipped rule. */
export const OVERRIDE_FILE = 'classification.local.yaml';

/** Reads one rules file as generic rules; errors name the file and the line of the offending entry. */
export function loadClassificationRules(file: string): ClassificationRules {
  return { rules: readRulesFile(file).rules, vendors: [], overrides: [] };
}

/** Reads the vendor files of a directory, in name order. */
export function loadVendorRules(dir: string): VendorRules[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/i.test(f))
    .sort()
    .map((f) => {
      const file = path.join(dir, f);
      const parsed = readRulesFile(file);
      if (!parsed.vendor || !parsed.integrations) throw new Error(`${file}:1: a vendor file needs "vendor" and "integrations"`);
      return { vendor: parsed.vendor, file, integrations: parsed.integrations, rules: parsed.rules };
    });
}

/** Reads the operator's override rules of a rules directory (none when the file is absent). */
export function loadOverrideRules(rulesDir: string): ClassificationRule[] {
  const file = path.join(rulesDir, OVERRIDE_FILE);
  return existsSync(file) ? readRulesFile(file).rules : [];
}

/**
 * The full rule base for a rules directory: its classification.yaml (else the shipped one),
 * the shipped vendor files (or the directory's own `vendors/` when it has one), and its overrides.
 */
export function loadClassifier(rulesDir: string): ClassificationRules {
  const generic = path.join(rulesDir, 'classification.yaml');
  const vendorDir = path.join(rulesDir, 'vendors');
  return {
    rules: readRulesFile(existsSync(generic) ? generic : defaultClassificationFile()).rules,
    vendors: loadVendorRules(existsSync(vendorDir) ? vendorDir : defaultVendorDir()),
    overrides: loadOverrideRules(rulesDir),
  };
}

/** Classifies one failure: explicit category first, then the first matching rule, else infra · unknown. */
export function classifyFailure(signals: FailureSignals, rules: ClassificationRules): Failure {
  const { category, code, message } = classify(signals, rules);
  return { category, code, message };
}

/** Classifies one failure and says which rule decided and why (precedence: explicit, override, vendor, generic). */
export function classify(signals: FailureSignals, rules: ClassificationRules): Classification {
  const message = signals.message ?? '';
  const explicit = explicitCategory(signals.category);
  if (explicit) {
    const code = signals.code ?? 'unspecified';
    return { category: explicit, code, message, retryable: RETRYABLE_CODES.has(code), rule: 'explicit', reason: 'the runner sent the category itself' };
  }
  const key = cacheKey(signals);
  const cache = cacheFor(rules);
  const hit = cache.get(key);
  if (hit) return { ...hit, message };
  const result = decide(signals, rules, message);
  if (cache.size >= CACHE_SIZE) cache.clear();
  cache.set(key, result);
  return result;
}

/**
 * Runners repeat the same failure (one outage, thousands of records), so decisions are
 * remembered per rule base, by every signal a rule can read. Bounded: cleared when full.
 */
const CACHE_SIZE = 4096;
const caches = new WeakMap<ClassificationRules, { overrides: ClassificationRule[]; map: Map<string, Classification> }>();

function cacheFor(rules: ClassificationRules): Map<string, Classification> {
  let entry = caches.get(rules);
  // A hot reload replaces `overrides`: decisions made under the old ones are dropped.
  if (!entry || entry.overrides !== rules.overrides) caches.set(rules, (entry = { overrides: rules.overrides, map: new Map() }));
  return entry.map;
}

function cacheKey(s: FailureSignals): string {
  const attrs = s.attributes ? JSON.stringify(s.attributes) : '';
  return `${s.integration ?? ''}\u0000${s.httpStatus ?? ''}\u0000${s.code ?? ''}\u0000${s.errorType ?? ''}\u0000${s.retryAfter ? 1 : 0}${s.outbound === undefined ? '' : s.outbound ? 1 : 0}\u0000${s.exitCode ?? ''}\u0000${s.serverAddress ?? ''}\u0000${s.url ?? ''}\u0000${attrs}\u0000${s.message ?? ''}`;
}

function decide(signals: FailureSignals, rules: ClassificationRules, message: string): Classification {
  const p = prepareSignals(signals);
  const found =
    firstMatch(rules.overrides, p, 'override:') ??
    firstVendorMatch(rules.vendors, p) ??
    firstMatch(rules.rules, p, 'generic:');
  if (found) {
    const { rule, id } = found;
    return { category: rule.category, code: rule.code, message, retryable: rule.retryable ?? RETRYABLE_CODES.has(rule.code), rule: id, reason: explain(rule, p) };
  }
  return { category: 'infra', code: 'unknown', message, retryable: false, rule: 'default:unknown', reason: 'no rule matched; counted so a rule can be added' };
}

/** Every `category · code` some rule can produce, plus the defaults (for `syncwatch rules check`). */
export function producibleCodes(rules: ClassificationRules): Set<string> {
  const all = [...rules.overrides, ...rules.vendors.flatMap((v) => v.rules), ...rules.rules];
  return new Set(['infra.unknown', ...all.map((r) => `${r.category}.${r.code}`)]);
}

function firstMatch(rules: ClassificationRule[], p: PreparedSignals, prefix: string): { rule: ClassificationRule; id: string } | undefined {
  for (const rule of rules) if (matches(rule.match, p)) return { rule, id: `${prefix}${rule.name}` };
  return undefined;
}

function firstVendorMatch(vendors: VendorRules[], p: PreparedSignals): { rule: ClassificationRule; id: string } | undefined {
  const integration = p.signals.integration;
  if (!integration) return undefined;
  for (const v of vendorsFor(vendors, integration)) {
    const found = firstMatch(v.rules, p, `vendor:${v.vendor}:`);
    if (found) return found;
  }
  return undefined;
}

/**
 * The vendor files whose `integrations` match an integration, remembered per loaded set
 * of vendor files: a deployment has a few dozen integrations, and testing every vendor's
 * patterns against the name was half the cost of classifying a new failure.
 */
const vendorMemo = new WeakMap<VendorRules[], Map<string, VendorRules[]>>();

function vendorsFor(vendors: VendorRules[], integration: string): VendorRules[] {
  let memo = vendorMemo.get(vendors);
  if (!memo) vendorMemo.set(vendors, (memo = new Map()));
  let found = memo.get(integration);
  if (!found) {
    found = vendors.filter((v) => v.integrations.some((re) => re.test(integration)));
    if (memo.size >= CACHE_SIZE) memo.clear();
    memo.set(integration, found);
  }
  return found;
}

function explicitCategory(value: string | undefined): FailureCategory | undefined {
  const v = value?.trim().toLowerCase();
  return (FAILURE_CATEGORIES as readonly string[]).includes(v ?? '') ? (v as FailureCategory) : undefined;
}

function matches(block: Conditions & { any?: Conditions[] }, p: PreparedSignals): boolean {
  if (!holds(block, p)) return false;
  return block.any === undefined || block.any.some((alt) => holds(alt, p));
}

function holds(c: Conditions, p: PreparedSignals): boolean {
  const s = p.signals;
  if (c.integration && !someMatch(c.integration, s.integration)) return false;
  if (c.http_status) {
    const status = p.httpStatus;
    if (status === undefined || !c.http_status.some(([lo, hi]) => status >= lo && status <= hi)) return false;
  }
  if (c.error_code && ![...p.codes].some((code) => c.error_code!.has(code))) return false;
  // The cheap comparisons come first; patterns (RE2, linear but not free) only when those held.
  if (c.target && p.target !== c.target) return false;
  if (c.retry_after && s.retryAfter !== true) return false;
  // `outbound: false` means "not known to be outbound": runners often leave the flag unset.
  if (c.outbound !== undefined && (p.outbound === true) !== c.outbound) return false;
  if (c.exit_code && (s.exitCode === undefined || !c.exit_code.includes(s.exitCode))) return false;
  if (c.error_type && !someMatch(c.error_type, s.errorType)) return false;
  if (c.attributes && !Object.entries(c.attributes).every(([k, re]) => s.attributes?.[k] !== undefined && re.test(s.attributes[k]))) return false;
  if (c.message && !someMatch(c.message, s.message)) return false;
  return true;
}

function someMatch(patterns: PatternList, value: string | undefined): boolean {
  return value !== undefined && value !== '' && mayMatch(patterns.literals, value) && patterns.all.test(value);
}

/** Names the conditions that held, e.g. `HTTP status 429; message matched /rate.?limit/i`. */
function explain(rule: ClassificationRule, p: PreparedSignals): string {
  const { any, ...top } = rule.match;
  const parts = describeHeld(top, p);
  const alt = any?.find((a) => holds(a, p));
  if (alt) parts.push(...describeHeld(alt, p));
  return parts.join('; ');
}

function describeHeld(c: Conditions, p: PreparedSignals): string[] {
  const s = p.signals;
  const out: string[] = [];
  if (c.integration) out.push(`integration "${s.integration}"`);
  if (c.http_status) out.push(`HTTP status ${p.httpStatus}${s.httpStatus === undefined ? ' (from the error body)' : ''}`);
  if (c.error_code) out.push(`error code ${[...p.codes].filter((code) => c.error_code!.has(code)).join(', ')}`);
  if (c.error_type) out.push(`error type "${s.errorType}" matched ${c.error_type.parts.find((re) => re.test(s.errorType ?? ''))}`);
  if (c.message) out.push(`message matched ${c.message.parts.find((re) => re.test(s.message ?? ''))}`);
  if (c.attributes) out.push(`attributes ${Object.keys(c.attributes).join(', ')}`);
  if (c.target) out.push(p.targetReason ?? `target ${p.target}`);
  if (c.retry_after) out.push('a Retry-After was seen');
  if (c.outbound !== undefined) out.push(c.outbound ? 'on an outbound call' : 'not known to be an outbound call');
  if (c.exit_code) out.push(`exit code ${s.exitCode}`);
  return out;
}
