import { z } from 'zod';
import { EVENT_TYPES, FAILURE_CATEGORIES } from '../ingest/index.js';
import { MAX_CONSECUTIVE_RUNS } from '../insights/index.js';
import type { RuleKind } from './rules-kinds.js';
import { TEMPLATE_VARS, placeholdersOf } from './rules-text.js';

// The YAML shape of one alert rule per kind (snake_case, as written in alert-rules/*.yaml).
// rules.ts turns a parsed rule into the normalised AlertRule (camelCase, defaults filled).

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `30s`, `5m`, `2h`, `7d` (or `0`) → milliseconds. */
export const duration = z.union([z.string(), z.number()]).transform((value, ctx) => {
  if (value === 0 || value === '0') return 0;
  const m = typeof value === 'string' ? /^\s*(\d{1,6})\s*([smhd])\s*$/.exec(value) : null;
  if (!m) {
    ctx.addIssue({ code: 'custom', message: `invalid duration ${JSON.stringify(value)}: use a number and a unit s, m, h or d, like 30s, 5m, 2h or 7d` });
    return z.NEVER;
  }
  return Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
});

/** `0.5` or `"50%"` → 0.5, within [0, 1]. */
const fraction = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const n = typeof value === 'number' ? value : /^\s*\d+(\.\d+)?\s*%\s*$/.test(value) ? Number(value.replace('%', '')) / 100 : NaN;
  if (!Number.isFinite(n) || n < 0 || n > 1) {
    ctx.addIssue({ code: 'custom', message: `invalid fraction ${JSON.stringify(value)}: use a number between 0 and 1 or a percentage like "50%"` });
    return z.NEVER;
  }
  return n;
});

const SNAKE = /^[a-z][a-z0-9_]*$/;
const code = z.string().regex(SNAKE, 'code must be snake_case, e.g. rate_limited');
const audience = z.enum(['tenant', 'operator']);
/** One value or a list of them (`audience: tenant` or `audience: [tenant, operator]`). */
const oneOrMany = <T extends z.ZodType>(item: T) => z.preprocess((v) => (Array.isArray(v) ? v : v === undefined ? v : [v]), z.array(item).min(1));
export const GROUP_DIMENSIONS = ['tenant', 'integration', 'flow'] as const;
export { RULE_KINDS, type RuleKind } from './rules-kinds.js';
export const LABEL_CATEGORIES = [...FAILURE_CATEGORIES, 'health', 'success'] as const;

const common = {
  name: z
    .string()
    .min(1)
    .max(100)
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'name must be letters, digits, ".", "-" or "_", e.g. partner-endpoint-outage'),
  description: z.string().optional(),
  severity: z.enum(['info', 'warning', 'critical']).default('warning'),
  category: z.enum(LABEL_CATEGORIES).optional(),
  code: code.optional(),
  audience: oneOrMany(audience).optional(),
  for: duration.default(0),
  group_by: z
    .array(z.enum(GROUP_DIMENSIONS))
    .min(1)
    .refine((dims) => new Set(dims).size === dims.length, 'group_by lists a dimension twice')
    .optional(),
  summary: z.string().min(1).optional(),
  action: z.string().min(1).optional(),
  enabled: z.boolean().default(true),
  /** Rules whose alerts this rule's firing alerts explain and hold back (docs/alerts.md#inhibition). */
  inhibits: z.array(z.string().min(1)).optional(),
};

const windowed = {
  window: duration.optional(),
  resolve_after: duration.default(5 * UNIT_MS.m),
};

const threshold = z.strictObject({
  kind: z.literal('threshold'),
  ...common,
  ...windowed,
  match: z
    .strictObject({
      category: z.enum(FAILURE_CATEGORIES).optional(),
      code: oneOrMany(code).optional(),
    })
    .default({}),
  metric: z.enum(['failure_rate', 'failure_count']).default('failure_rate'),
  threshold: z.union([z.number(), z.string()]),
  min_sample: z.number().int().min(1).default(1),
  /**
   * When the condition clears (docs/alerts.md#when-an-alert-resolves): `window`, once the
   * window holds too few failures; `clean_run`, as soon as the flow has run clean since its
   * latest failure or every record that failed has synced since. Default: clean_run for
   * match.category data, window otherwise.
   */
  clear_on: z.enum(['window', 'clean_run']).optional(),
});

const consecutive = z.strictObject({
  kind: z.literal('consecutive_failed_runs'),
  ...common,
  resolve_after: windowed.resolve_after,
  runs: z.number().int().min(1).max(MAX_CONSECUTIVE_RUNS, `runs: at most ${MAX_CONSECUTIVE_RUNS} (the runs kept per flow)`).default(3),
});

const stale = z.strictObject({
  kind: z.literal('stale'),
  ...common,
  resolve_after: windowed.resolve_after,
  factor: z.number().positive().default(2),
  min_cadence: duration.default(5 * UNIT_MS.m),
});

const volumeDrop = z.strictObject({
  kind: z.literal('volume_drop'),
  ...common,
  ...windowed,
  drop: fraction,
  min_baseline: z.number().int().min(1).default(20),
  baseline_days: z.number().int().min(1).max(28).default(7),
});

const event = z.strictObject({
  kind: z.literal('event'),
  ...common,
  resolve_after: duration.optional(),
  event: z.enum(EVENT_TYPES),
  horizon: duration.optional(),
  min_value: z.number().finite().optional(),
  record_type: z.string().min(1).optional(),
  currency: z.string().regex(/^[A-Z]{3}$/, 'currency must be an ISO-4217 code like USD').optional(),
  resolve_on: z.array(z.enum(EVENT_TYPES)).min(1).optional(),
  one_shot: z.boolean().optional(),
  max_age: duration.default(UNIT_MS.d),
});

/**
 * An outage of one partner's API across tenants: at least `min_tenants` tenants, or
 * `min_share` of the integration's active connections (two tenants at least), whose latest
 * calls failed with one of `match.code` within `window` and have not succeeded since.
 */
const partnerIncident = z.strictObject({
  kind: z.literal('partner_incident'),
  ...common,
  ...windowed,
  resolve_after: duration.default(2 * UNIT_MS.m),
  match: z.strictObject({ code: oneOrMany(code).default(['unavailable', 'timeout', 'rate_limited']) }).default({ code: ['unavailable', 'timeout', 'rate_limited'] }),
  min_tenants: z.number().int().min(2).default(3),
  min_share: fraction.default(0.2),
  /** A connection with any event this recently counts as active. */
  active_window: duration.default(UNIT_MS.d),
});

/** The schema of one rule of each kind, as written in YAML. */
export const RULE_SCHEMAS = {
  threshold,
  consecutive_failed_runs: consecutive,
  stale,
  volume_drop: volumeDrop,
  event,
  partner_incident: partnerIncident,
} satisfies Record<RuleKind, z.ZodType>;

/** One rule as validated from YAML (before defaults that depend on other fields). */
export type RawRule<K extends RuleKind = RuleKind> = { [P in K]: z.output<(typeof RULE_SCHEMAS)[P]> }[K];

/** Checks what a schema cannot see field by field: placeholders, and options that apply to only some events. */
export function checkRule(raw: RawRule, issue: (path: (string | number)[], message: string) => void): void {
  const known = new Set([...TEMPLATE_VARS.common, ...TEMPLATE_VARS[raw.kind]]);
  for (const field of ['summary', 'action'] as const) {
    const unknown = placeholdersOf(raw[field] ?? '').filter((p) => !known.has(p));
    if (unknown.length) issue([field], `unknown placeholder {{${unknown[0]}}}; a ${raw.kind} rule knows ${[...known].map((k) => `{{${k}}}`).join(', ')}`);
  }
  if (raw.kind === 'threshold') {
    const t = raw.threshold;
    if (raw.metric === 'failure_rate') {
      const parsed = fraction.safeParse(t);
      if (!parsed.success) issue(['threshold'], parsed.error.issues[0].message);
    } else if (typeof t !== 'number' || !Number.isInteger(t) || t < 1) {
      issue(['threshold'], 'a failure_count threshold is a whole number of failures, at least 1');
    }
    if (raw.category === undefined && raw.match.category === undefined) {
      issue(['category'], 'give the alert\'s category (data, endpoint, infra, health) or match.category');
    }
  }
  if (raw.kind === 'event') {
    if (raw.horizon !== undefined && raw.event !== 'auth.expiring') issue(['horizon'], 'horizon applies only to event: auth.expiring');
    const recordOnly = ['min_value', 'record_type', 'currency'] as const;
    for (const f of recordOnly) {
      if (raw[f] !== undefined && !raw.event.startsWith('record.')) issue([f], `${f} applies only to record events (record.synced, record.failed, record.skipped)`);
    }
    if (raw.one_shot === true && raw.resolve_on) issue(['one_shot'], 'a one-shot rule never resolves: drop resolve_on or one_shot');
    if (raw.resolve_on?.includes(raw.event)) issue(['resolve_on'], `resolve_on cannot list the event the rule fires on (${raw.event})`);
  }
}

/** The threshold of a threshold rule as a number (a fraction for failure_rate). */
export function thresholdValue(raw: RawRule<'threshold'>): number {
  return raw.metric === 'failure_rate' ? fraction.parse(raw.threshold) : Number(raw.threshold);
}
