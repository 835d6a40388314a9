import { formatDuration } from '../format/index.js';
import type { ValueSettings } from '../config.js';
import { getAdoption, type AdoptionReport, type IntegrationAdoption } from '../insights/index.js';
import type { TimeRange } from '../insights/index.js';
import type { Driver } from '../store/index.js';
import { funnelChart, lineChart, PALETTE } from '../reports/index.js';

// The adoption dashboard (docs/architecture.md#adoption, docs/architecture.md#pages-and-reports): per integration a funnel with drop-off and
// the median time between steps, a ranking, and active connections per day. One call to
// getAdoption (rollup-backed); everything else here is shaping for people to read.

/** How each funnel step reads on the page. */
export const STEP_LABELS: Record<string, string> = {
  viewed: 'Viewed',
  install_started: 'Install started',
  authorized: 'Authorized',
  configured: 'Configured',
  enabled: 'Enabled',
  first_successful_sync: 'First successful sync',
};

/** Line colours for integrations, in ranking order (distinct from status red/green where possible). */
const LINE_COLOURS = [PALETTE.primary, PALETTE.stale, PALETTE.degraded, PALETTE.healthy, '#0e9384', '#c11574', PALETTE.disabled, PALETTE.failing];

/** One funnel step as the page shows it. */
export interface FunnelRow {
  step: string;
  label: string;
  connections: number;
  /** Share of the previous step that reached this one (null for the first step). */
  conversion: number | null;
  /** Connections lost since the previous step (null for the first step). */
  dropOff: number | null;
  /** 1 - conversion. */
  dropOffRate: number | null;
  /** Median time from the previous step, in words ("3 hours"); null when not measured. */
  medianFromPrevious: string | null;
}

/** One integration's section of the page. */
export interface IntegrationSection {
  integration: string;
  funnel: FunnelRow[];
  /** Inline SVG (safe markup). */
  funnelChart: string;
  /** The step where most connections were lost (null when none was). */
  biggestDropOff: { label: string; lost: number; rate: number } | null;
  installs: IntegrationAdoption['installs'];
  churned: IntegrationAdoption['churned'];
  /**
   * A step counts more connections than the step before it: steps count what was reached in
   * the period, so connections that passed the earlier step before the period show only later.
   */
  carriedOver: boolean;
}

/** One line of the ranking table. */
export interface RankingRow {
  rank: number;
  integration: string;
  activeConnections30d: number;
  activeConnections7d: number;
  installsNew: number;
  installsTotal: number;
  churnedInPeriod: number;
  recordsMoved: number;
  valueMoved: number;
  currency: string;
  unconvertedCurrencies: string[];
}

/** Everything the adoption page shows. */
export interface AdoptionPage {
  from: string;
  to: string;
  reportingCurrency: string;
  integrations: IntegrationSection[];
  ranking: RankingRow[];
  /** Inline SVG of active connections per day, one line per integration (null without integrations). */
  activeChart: string | null;
  /** The same figures as a table, for readers who cannot see the chart. */
  activeDays: { date: string; values: number[] }[];
  totals: { installsNew: number; active30d: number; churnedInPeriod: number; recordsMoved: number; valueMoved: number };
  /** Currencies moved that have no configured exchange rate (left out of the value figures). */
  unconvertedCurrencies: string[];
}


const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const dayLabel = (date: string) => `${MONTHS[Number(date.slice(5, 7)) - 1]} ${Number(date.slice(8, 10))}`;

function section(a: IntegrationAdoption): IntegrationSection {
  const funnel: FunnelRow[] = a.funnel.map((s, i) => {
    const previous = i > 0 ? a.funnel[i - 1].connections : null;
    return {
      step: s.step,
      label: STEP_LABELS[s.step] ?? s.step,
      connections: s.connections,
      conversion: s.conversion,
      dropOff: previous === null ? null : Math.max(0, previous - s.connections),
      dropOffRate: s.conversion === null ? null : Math.max(0, Math.round((1 - s.conversion) * 10_000) / 10_000),
      medianFromPrevious: s.median_seconds_from_previous === null ? null : formatDuration(s.median_seconds_from_previous * 1000),
    };
  });
  const worst = funnel.reduce<FunnelRow | null>((w, r) => ((r.dropOff ?? 0) > (w?.dropOff ?? 0) ? r : w), null);
  return {
    integration: a.integration,
    funnel,
    funnelChart: funnelChart(
      funnel.map((r) => ({ label: r.label, count: r.connections })),
      { title: `${a.integration}: connections at each step of the funnel` },
    ),
    biggestDropOff: worst && worst.dropOff ? { label: worst.label, lost: worst.dropOff, rate: worst.dropOffRate ?? 0 } : null,
    installs: a.installs,
    churned: a.churned,
    carriedOver: funnel.some((r, i) => i > 0 && r.connections > funnel[i - 1].connections),
  };
}

/** Shapes an adoption report for the page (pure: tests and other renderers may reuse it). */
export function toAdoptionPage(report: AdoptionReport): AdoptionPage {
  const byName = new Map(report.integrations.map((a) => [a.integration, a]));
  // Ranking order everywhere: the best-adopted integration first.
  const ordered = report.ranking.map((r) => byName.get(r.integration)!).filter(Boolean);
  const ranking: RankingRow[] = report.ranking.map((r) => {
    const a = byName.get(r.integration)!;
    return {
      rank: r.rank,
      integration: r.integration,
      activeConnections30d: r.active_connections_30d,
      activeConnections7d: a.active_connections.last_7d,
      installsNew: a.installs.new,
      installsTotal: a.installs.total,
      churnedInPeriod: a.churned.in_period,
      recordsMoved: a.records_moved,
      valueMoved: r.value_moved,
      currency: report.reporting_currency,
      unconvertedCurrencies: a.value_moved.unconverted_currencies,
    };
  });
  const dates = ordered[0]?.daily_active_connections.map((d) => d.date) ?? [];
  const lines = ordered.map((a, i) => ({
    label: a.integration,
    colour: LINE_COLOURS[i % LINE_COLOURS.length],
    values: a.daily_active_connections.map((d) => d.connections),
  }));
  const sum = (f: (r: RankingRow) => number) => ranking.reduce((n, r) => n + f(r), 0);
  return {
    from: report.from,
    to: report.to,
    reportingCurrency: report.reporting_currency,
    integrations: ordered.map(section),
    ranking,
    activeChart: lines.length
      ? lineChart(dates.map(dayLabel), lines, { title: 'Active connections per day (a successful run that day), per integration', width: 720, height: 200 })
      : null,
    activeDays: dates.map((date, i) => ({ date, values: lines.map((l) => l.values[i] ?? 0) })),
    totals: {
      installsNew: sum((r) => r.installsNew),
      active30d: sum((r) => r.activeConnections30d),
      churnedInPeriod: sum((r) => r.churnedInPeriod),
      recordsMoved: sum((r) => r.recordsMoved),
      valueMoved: Math.round(sum((r) => r.valueMoved) * 100) / 100,
    },
    unconvertedCurrencies: [...new Set(ranking.flatMap((r) => r.unconvertedCurrencies))].sort(),
  };
}

/** Reads adoption over a period and shapes it for the adoption dashboard. */
export async function getAdoptionPage(driver: Driver, value: Pick<ValueSettings, 'reporting_currency' | 'rates'>, range: TimeRange): Promise<AdoptionPage> {
  return toAdoptionPage(await getAdoption(driver, { range }, value));
}
