import cron from 'node-cron';
import { z } from 'zod';
import { ConfigError, type Config } from '../config.js';
import { targetSchema, webhookSecretSchema, webhookUrlSchema, type Target } from '../notify/index.js';
import { quietHoursSchema } from './subscriptions.js';
import { duration } from './rules-schema.js';
import { inhibitRuleSchema, toInhibitRule, type InhibitRule } from './inhibit-rules.js';

// The `alerts` section of the YAML config file (SYNCWATCH_CONFIG): schedules, the lease,
// the digest, receivers and routes. Validated at start; an error names its path.

/** Labels a route may match on and group by. */
export const ROUTE_LABELS = ['rule', 'severity', 'category', 'code', 'audience', 'tenant', 'integration', 'flow'] as const;
export type RouteLabel = (typeof ROUTE_LABELS)[number];
const GROUP_LABELS = ['rule', 'severity', 'category', 'code', 'tenant', 'integration', 'flow'] as const;
export type GroupLabel = (typeof GROUP_LABELS)[number];

/** The receiver whose targets are each tenant's own subscriptions. */
export const TENANT_RECEIVER = 'tenant';
/** The operators' receiver: SYNCWATCH_OPS_EMAIL, Datadog when DD_API_KEY is set, and whatever YAML adds. */
export const OPS_RECEIVER = 'ops';

const oneOrMany = z.union([z.string(), z.array(z.string()).min(1)]).transform((v) => (Array.isArray(v) ? v : [v]));

/**
 * How much a firing group must grow, from the figures of its last message, before an
 * update is sent (at most once per group_interval): `100%` (the default) when it doubles,
 * `50%`, or `never`. A group's size is its records failed and its partner incidents' tenants.
 */
const growth = z.union([
  z.literal('never').transform(() => null),
  z.number().positive(),
  z
    .string()
    .regex(/^\s*\d+(\.\d+)?\s*%\s*$/, 'update_growth: a percentage like "100%" (sent when the group doubles), a positive ratio like 0.5, or "never"')
    .transform((v) => Number(v.replace('%', '')) / 100)
    .refine((n) => n > 0, 'update_growth: must be more than 0%'),
]);

const routeSchema = z.strictObject({
  match: z.partialRecord(z.enum(ROUTE_LABELS), oneOrMany).default({}),
  receivers: z.array(z.string().min(1)).min(1),
  group_by: z.array(z.enum(GROUP_LABELS)).optional(),
  group_wait: duration.optional(),
  group_interval: duration.optional(),
  repeat_interval: duration.optional(),
  update_growth: growth.optional(),
  /** Keep matching later routes after this one (Alertmanager's `continue`). */
  continue: z.boolean().default(false),
});

const receiverSchema = z.strictObject({
  emails: z.array(z.email()).default([]),
  webhooks: z.array(z.strictObject({ url: webhookUrlSchema, secret: webhookSecretSchema })).default([]),
  datadog: z.boolean().default(false),
  /** Any channel's targets, as the notifications API takes them: `{channel: slack, url}`, `{channel: pagerduty, routing_key}`… */
  targets: z.array(targetSchema).default([]),
});

/** `30s`, `5m` (a divisor of a minute or an hour) or a 6-field cron expression. */
const schedule = z.string().transform((value, ctx) => {
  const asCron = toCron(value);
  if (asCron === null) ctx.addIssue({ code: 'custom', message: `invalid schedule ${JSON.stringify(value)}: use 10s, 30s, 1m, 5m… or a cron expression` });
  return asCron ?? z.NEVER;
});

const alertsSchema = z.strictObject({
  evaluate_every: schedule.default('*/30 * * * * *'),
  dispatch_every: schedule.default('*/5 * * * * *'),
  lease: z.strictObject({ ttl: duration.default(60_000), takeover_delay: duration.default(30_000) }).default({ ttl: 60_000, takeover_delay: 30_000 }),
  digest: z
    .strictObject({ at: quietHoursSchema.shape.start.default('08:00'), timezone: quietHoursSchema.shape.timezone })
    .default({ at: '08:00', timezone: 'UTC' }),
  receivers: z.record(z.string().regex(/^[a-z][a-z0-9_-]*$/), receiverSchema).default({}),
  routes: z.array(routeSchema).optional(),
  /** Alertmanager-style inhibition, added to the rules' own `inhibits:` (alerts/inhibit-rules.ts). */
  inhibit_rules: z.array(inhibitRuleSchema).default([]),
});

/** One route: which alerts (by labels) go to which receivers, grouped and timed how. */
export interface Route {
  match: Partial<Record<RouteLabel, string[]>>;
  receivers: string[];
  groupBy: GroupLabel[];
  groupWaitMs: number;
  groupIntervalMs: number;
  repeatIntervalMs: number;
  /** Growth (1 = doubled) of a firing group's size since its last message that warrants an update; null: never. */
  updateGrowth: number | null;
  continue: boolean;
}

/** The validated `alerts` settings, receivers resolved against the environment. */
export interface AlertsSettings {
  evaluateCron: string;
  dispatchCron: string;
  lease: { ttlMs: number; takeoverDelayMs: number };
  digest: { at: string; timezone: string };
  /** Operator receivers by name, with their targets (the tenant receiver is resolved per tenant). */
  receivers: Map<string, Target[]>;
  routes: Route[];
  /** alerts.inhibit_rules: while a source fires, matching targets with equal labels notify nobody. */
  inhibitRules: InhibitRule[];
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/**
 * Defaults: operators hear about everything for them, grouped so one partner outage
 * across many tenants is one message; tenants hear about their own alerts at once
 * (group_wait 0: an expiring token must reach them within seconds), grouped per rule.
 */
export const DEFAULT_ROUTES: Route[] = [
  { match: { audience: ['operator'] }, receivers: [OPS_RECEIVER], groupBy: ['rule', 'integration', 'code'], groupWaitMs: 30_000, groupIntervalMs: 5 * MINUTE, repeatIntervalMs: 4 * HOUR, updateGrowth: 1, continue: true },
  { match: { audience: ['tenant'] }, receivers: [TENANT_RECEIVER], groupBy: ['tenant', 'rule'], groupWaitMs: 0, groupIntervalMs: 5 * MINUTE, repeatIntervalMs: 24 * HOUR, updateGrowth: 1, continue: true },
];

function toCron(value: string): string | null {
  const m = /^\s*(\d+)\s*([sm])\s*$/.exec(value);
  if (!m) return cron.validate(value) && value.trim().split(/\s+/).length === 6 ? value.trim() : null;
  const n = Number(m[1]);
  if (n <= 0 || n > 60 || 60 % n !== 0) return null;
  if (m[2] === 's') return n === 60 ? '0 * * * * *' : `*/${n} * * * * *`;
  return n === 60 ? '0 0 * * * *' : `0 */${n} * * * *`;
}

/** Reads and checks `alerts` from the config file; throws ConfigError naming the bad path. */
export function loadAlertsSettings(config: Pick<Config, 'file' | 'smtp' | 'datadog'>): AlertsSettings {
  const parsed = alertsSchema.safeParse(config.file.alerts ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `alerts.${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`SYNCWATCH_CONFIG: ${issues}`);
  }
  const a = parsed.data;
  if (a.receivers[TENANT_RECEIVER]) throw new ConfigError(`SYNCWATCH_CONFIG: alerts.receivers.${TENANT_RECEIVER}: the name is reserved for tenant subscriptions`);

  const receivers = new Map<string, Target[]>();
  const ops: Target[] = [];
  if (config.smtp.url && config.smtp.opsEmail) ops.push({ channel: 'email', to: config.smtp.opsEmail.split(',').map((s) => s.trim()) });
  if (config.datadog.apiKey) ops.push({ channel: 'datadog' });
  receivers.set(OPS_RECEIVER, ops);
  for (const [name, r] of Object.entries(a.receivers)) {
    const targets: Target[] = name === OPS_RECEIVER ? ops : [];
    if (r.emails.length > 0) targets.push({ channel: 'email', to: r.emails });
    for (const w of r.webhooks) targets.push({ channel: 'webhook', url: w.url, secret: w.secret });
    if (r.datadog && !targets.some((t) => t.channel === 'datadog')) targets.push({ channel: 'datadog' });
    targets.push(...r.targets);
    receivers.set(name, targets);
  }

  const routes = a.routes?.map((r, i): Route => {
    for (const name of r.receivers) {
      if (name !== TENANT_RECEIVER && !receivers.has(name)) {
        throw new ConfigError(`SYNCWATCH_CONFIG: alerts.routes.${i}.receivers: unknown receiver "${name}" (define it under alerts.receivers, or use ops or tenant)`);
      }
    }
    const tenantOnly = r.receivers.every((n) => n === TENANT_RECEIVER);
    const base = DEFAULT_ROUTES[tenantOnly ? 1 : 0];
    return {
      match: r.match,
      receivers: r.receivers,
      groupBy: r.group_by ?? base.groupBy,
      groupWaitMs: r.group_wait ?? base.groupWaitMs,
      groupIntervalMs: r.group_interval ?? base.groupIntervalMs,
      repeatIntervalMs: r.repeat_interval ?? base.repeatIntervalMs,
      updateGrowth: r.update_growth === undefined ? base.updateGrowth : r.update_growth,
      continue: r.continue,
    };
  });

  return {
    evaluateCron: a.evaluate_every,
    dispatchCron: a.dispatch_every,
    lease: { ttlMs: a.lease.ttl, takeoverDelayMs: a.lease.takeover_delay },
    digest: a.digest,
    receivers,
    routes: routes ?? DEFAULT_ROUTES,
    inhibitRules: a.inhibit_rules.map(toInhibitRule),
  };
}
