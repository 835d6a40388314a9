import { z } from 'zod';
import { badRequest } from '../errors.js';
import { publicTarget, targetSchema, targetUrl, webhookSecretSchema, webhookUrlSchema, withoutCredentials, type Target } from '../notify/index.js';
import { fromChTime, toChTime, type Driver } from '../store/index.js';

/** Alert categories a tenant may subscribe to: the failure categories plus health (stale, volume drop) and success (high-value records). */
export const SUBSCRIPTION_CATEGORIES = ['data', 'endpoint', 'infra', 'health', 'success'] as const;
export type SubscriptionCategory = (typeof SUBSCRIPTION_CATEGORIES)[number];

const clockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'use 24-hour HH:MM, e.g. "22:00"');

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Quiet hours: tenant email waits until `end` (local time in `timezone`); webhooks are not held. */
export const quietHoursSchema = z.strictObject({
  start: clockTime,
  end: clockTime,
  timezone: z.string().refine(isTimeZone, 'not a known IANA time zone, e.g. "Europe/Paris"').default('UTC'),
});
export type QuietHours = z.infer<typeof quietHoursSchema>;

/**
 * Which scheduled value reports the tenant's emails and webhooks receive (src/reports):
 * the monthly one unless turned off, the weekly one when asked for.
 */
export const valueReportSettingSchema = z.strictObject({
  weekly: z.boolean().default(false),
  monthly: z.boolean().default(true),
});
export type ValueReportSetting = z.infer<typeof valueReportSettingSchema>;
const DEFAULT_VALUE_REPORT: ValueReportSetting = { weekly: false, monthly: true };

/** The body of PUT /v1/tenants/:tenant/subscriptions (the whole subscription, replaced). */
export const subscriptionBodySchema = z.strictObject({
  emails: z.array(z.email('not a valid email address')).max(20).default([]),
  webhooks: z
    .array(
      z.strictObject({
        url: webhookUrlSchema,
        /** Write-only. May be left out to keep the secret already stored for this URL. */
        secret: webhookSecretSchema.optional(),
      }),
    )
    .max(10)
    .default([]),
  /**
   * Other channels (Slack, Teams, PagerDuty…), as the notifications API takes targets.
   * Write-only, since their URLs and keys are credentials: left out, the stored ones are kept.
   */
  targets: z.array(targetSchema).max(10).optional(),
  categories: z.array(z.enum(SUBSCRIPTION_CATEGORIES)).min(1).default(['data', 'endpoint', 'health']),
  delivery: z.enum(['immediate', 'digest']).default('immediate'),
  quiet_hours: quietHoursSchema.nullable().default(null),
  value_report: valueReportSettingSchema.default(() => ({ ...DEFAULT_VALUE_REPORT })),
});
export type SubscriptionBody = z.infer<typeof subscriptionBodySchema>;

/** Where and how one tenant hears about its alerts. */
export interface Subscription {
  tenant: string;
  emails: string[];
  webhooks: { url: string; secret: string }[];
  /** Targets of the other channels (Slack, Teams, PagerDuty…). */
  targets: Target[];
  categories: SubscriptionCategory[];
  delivery: 'immediate' | 'digest';
  quietHours: QuietHours | null;
  valueReport: ValueReportSetting;
  updatedAt: number | null;
  version: number;
}

/** A tenant that never subscribed hears nothing. */
export const emptySubscription = (tenant: string): Subscription => ({
  tenant,
  emails: [],
  webhooks: [],
  targets: [],
  categories: ['data', 'endpoint', 'health'],
  delivery: 'immediate',
  quietHours: null,
  valueReport: { ...DEFAULT_VALUE_REPORT },
  updatedAt: null,
  version: 0,
});

const storedSchema = z.object({
  emails: z.array(z.string()),
  webhooks: z.array(z.object({ url: z.string(), secret: z.string() })),
  // Subscriptions stored before other channels existed have none.
  targets: z.array(targetSchema).default([]),
  categories: z.array(z.enum(SUBSCRIPTION_CATEGORIES)),
  delivery: z.enum(['immediate', 'digest']),
  quiet_hours: quietHoursSchema.nullable(),
  // Subscriptions stored before value reports existed have the default.
  value_report: valueReportSettingSchema.default(() => ({ ...DEFAULT_VALUE_REPORT })),
});

const subscriptionRow = z
  .object({ tenant: z.string(), latest: z.string(), latest_at: z.string(), top_version: z.coerce.number() })
  .transform((r): Subscription => {
    const s = storedSchema.parse(JSON.parse(r.latest));
    return {
      tenant: r.tenant,
      emails: s.emails,
      webhooks: s.webhooks,
      targets: s.targets,
      categories: s.categories,
      delivery: s.delivery,
      quietHours: s.quiet_hours,
      valueReport: s.value_report,
      updatedAt: Date.parse(fromChTime(r.latest_at)),
      version: r.top_version,
    };
  });

/** The newest subscription of every tenant (or of one), keyed by tenant. */
export async function getSubscriptions(driver: Driver, tenant?: string): Promise<Map<string, Subscription>> {
  const rows = await driver.query({
    name: 'alerts.subscriptions',
    sql: `SELECT tenant, argMax(subscription, version) AS latest, toString(argMax(updated_at, version)) AS latest_at,
                 max(version) AS top_version
          FROM tenant_subscriptions
          ${tenant === undefined ? '' : 'WHERE tenant = {tenant:String}'}
          GROUP BY tenant`,
    params: { tenant: tenant ?? '' },
    schema: subscriptionRow,
  });
  return new Map(rows.map((s) => [s.tenant, s]));
}

/** One tenant's subscription (empty when it never subscribed). */
export async function getSubscription(driver: Driver, tenant: string): Promise<Subscription> {
  return (await getSubscriptions(driver, tenant)).get(tenant) ?? emptySubscription(tenant);
}

/**
 * Replaces a tenant's subscription. A webhook given without a secret keeps the secret
 * stored for the same URL (so a client can PUT back what it read); a new URL needs one.
 * `checkUrl` is the SSRF guard: it rejects URLs that resolve to private addresses.
 */
export async function putSubscription(
  driver: Driver,
  tenant: string,
  body: SubscriptionBody,
  now: number,
  checkUrl: (url: string) => Promise<void>,
): Promise<Subscription> {
  const current = await getSubscription(driver, tenant);
  const webhooks = body.webhooks.map((w, i) => {
    const secret = w.secret ?? current.webhooks.find((c) => c.url === w.url)?.secret;
    if (!secret) throw badRequest('invalid_parameter', `webhooks.${i}.secret: is required for a new webhook URL (${w.url})`);
    return { url: w.url, secret };
  });
  const targets = body.targets ?? current.targets;
  for (const w of webhooks) await checkUrl(w.url);
  for (const t of targets) {
    const url = targetUrl(t);
    if (url !== undefined) await checkUrl(url);
  }
  // Versions only grow, even when the clock stands still (tests) or steps back.
  const version = Math.max(now, current.version + 1);
  const stored = { emails: body.emails, webhooks, targets, categories: body.categories, delivery: body.delivery, quiet_hours: body.quiet_hours, value_report: body.value_report };
  await driver.insert('tenant_subscriptions', [{ tenant, subscription: JSON.stringify(stored), updated_at: toChTime(now), version }]);
  return {
    tenant,
    emails: body.emails,
    webhooks,
    targets,
    categories: body.categories,
    delivery: body.delivery,
    quietHours: body.quiet_hours,
    valueReport: body.value_report,
    updatedAt: now,
    version,
  };
}

/** How much of a secret may be shown: its prefix and last four characters. */
export function secretHint(secret: string): string {
  const prefix = /^[a-z]+_/.exec(secret)?.[0] ?? '';
  return `${prefix}…${secret.slice(-4)}`;
}

/** A subscription as the API returns it: secrets never leave, only whether there is one and a hint. */
export function subscriptionView(s: Subscription) {
  return {
    tenant: s.tenant,
    emails: s.emails,
    webhooks: s.webhooks.map((w) => ({ url: withoutCredentials(w.url), has_secret: w.secret.length > 0, secret_hint: secretHint(w.secret) })),
    targets: s.targets.map(publicTarget),
    categories: s.categories,
    delivery: s.delivery,
    quiet_hours: s.quietHours,
    value_report: s.valueReport,
    updated_at: s.updatedAt === null ? null : new Date(s.updatedAt).toISOString(),
  };
}
