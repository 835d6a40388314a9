import type { ValueSettings } from '../config.js';
import type { Driver } from '../store/index.js';
import { emptyDailyActive, getActiveConnections, getDailyActive, type DailyActive } from './adoption-activity.js';
import { ENABLED_STEP, FUNNEL_STEPS, getFunnelStats, type FunnelStats, type FunnelStepName } from './adoption-funnel.js';
import { getMoved, type Moved } from './adoption-moved.js';
import type { TimeRange } from './range.js';

/** One step of an integration's funnel. */
export interface FunnelStep {
  step: FunnelStepName;
  /** Connections that reached this step within the period. */
  connections: number;
  /** connections / the previous step's connections (null for the first step or when that is 0). */
  conversion: number | null;
  /** Median seconds from the previous step to this one (null when no connection recorded both). */
  median_seconds_from_previous: number | null;
}

/** Money moved: per currency, and converted to the reporting currency. */
export interface ValueMoved {
  total: number;
  currency: string;
  by_currency: Record<string, number>;
  /** Currencies with no configured rate: left out of `total`. */
  unconverted_currencies: string[];
}

/** Adoption of one integration over a period (the API's shape). */
export interface IntegrationAdoption {
  integration: string;
  funnel: FunnelStep[];
  installs: { new: number; total: number };
  active_connections: { last_7d: number; last_30d: number };
  churned: { total: number; in_period: number };
  records_moved: number;
  value_moved: ValueMoved;
  daily_active_connections: DailyActive[];
}

/** One line of the ranking of integrations. */
export interface RankedIntegration {
  rank: number;
  integration: string;
  active_connections_30d: number;
  value_moved: number;
}

/** GET /v1/adoption's answer. */
export interface AdoptionReport {
  from: string;
  to: string;
  reporting_currency: string;
  integrations: IntegrationAdoption[];
  ranking: RankedIntegration[];
}

/** Ratios are rounded to 4 decimals, money to cents. */
const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

function toFunnel(stats: FunnelStats | undefined): FunnelStep[] {
  return FUNNEL_STEPS.map(({ step }, i) => {
    const connections = stats?.reached[i] ?? 0;
    const previous = i > 0 ? (stats?.reached[i - 1] ?? 0) : 0;
    const medianMs = stats?.medianMs[i] ?? null;
    return {
      step,
      connections,
      conversion: i > 0 && previous > 0 ? round(connections / previous, 4) : null,
      median_seconds_from_previous: medianMs === null ? null : medianMs / 1000,
    };
  });
}

/** Converts per-currency micro-unit sums with the configured rates (the reporting currency is 1). */
export function convertValue(micros: Map<string, number> | undefined, value: Pick<ValueSettings, 'reporting_currency' | 'rates'>): ValueMoved {
  const byCurrency: Record<string, number> = {};
  const unconverted: string[] = [];
  let total = 0;
  for (const [currency, amount] of [...(micros ?? [])].sort(([a], [b]) => a.localeCompare(b))) {
    byCurrency[currency] = amount / 1e6;
    const rate = currency === value.reporting_currency ? 1 : value.rates[currency];
    if (rate === undefined) unconverted.push(currency);
    else total += (amount / 1e6) * rate;
  }
  return { total: round(total, 2), currency: value.reporting_currency, by_currency: byCurrency, unconverted_currencies: unconverted };
}

/** Integrations by active connections (30 days), then value moved, then name. */
export function rankIntegrations(items: readonly IntegrationAdoption[]): RankedIntegration[] {
  return [...items]
    .sort(
      (a, b) =>
        b.active_connections.last_30d - a.active_connections.last_30d ||
        b.value_moved.total - a.value_moved.total ||
        a.integration.localeCompare(b.integration),
    )
    .map((a, i) => ({
      rank: i + 1,
      integration: a.integration,
      active_connections_30d: a.active_connections.last_30d,
      value_moved: a.value_moved.total,
    }));
}

/**
 * Adoption per integration over a period (docs/architecture.md#adoption), read from the adoption rollups:
 * funnel with conversion and median time between steps, installs, active connections,
 * churn, records and value moved, a daily active series, and a ranking.
 * With `integration` given, that integration is always in the answer (zeros when it has no data).
 */
export async function getAdoption(
  driver: Driver,
  q: { range: TimeRange; integration?: string },
  value: Pick<ValueSettings, 'reporting_currency' | 'rates'>,
): Promise<AdoptionReport> {
  const [funnel, active, daily, moved] = await Promise.all([
    getFunnelStats(driver, q),
    getActiveConnections(driver, { to: q.range.to, integration: q.integration }),
    getDailyActive(driver, q),
    getMoved(driver, q),
  ]);
  const funnelBy = new Map(funnel.map((f) => [f.integration, f]));
  const names = new Set<string>([...funnelBy.keys(), ...active.keys(), ...daily.keys(), ...moved.keys()]);
  if (q.integration) names.add(q.integration);

  const integrations = [...names].sort().map((integration): IntegrationAdoption => {
    const f = funnelBy.get(integration);
    const a = active.get(integration);
    const m: Moved | undefined = moved.get(integration);
    return {
      integration,
      funnel: toFunnel(f),
      installs: { new: f?.reached[ENABLED_STEP] ?? 0, total: f?.installsTotal ?? 0 },
      active_connections: { last_7d: a?.last7d ?? 0, last_30d: a?.last30d ?? 0 },
      churned: { total: f?.churned ?? 0, in_period: f?.churnedInPeriod ?? 0 },
      records_moved: m?.records ?? 0,
      value_moved: convertValue(m?.valueMicros, value),
      daily_active_connections: daily.get(integration) ?? emptyDailyActive(q.range),
    };
  });
  return {
    from: q.range.from.toISOString(),
    to: q.range.to.toISOString(),
    reporting_currency: value.reporting_currency,
    integrations,
    ranking: rankIntegrations(integrations),
  };
}
