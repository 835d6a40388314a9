import type { Config } from '../config.js';
import { getHealth, getValue, getValueByDay, type ConnectionHealth, type Money, type ValueFigures, type ValueGroup } from '../insights/index.js';
import type { Driver } from '../store/index.js';
import { getIncidents, incidentTotals, type Incident, type IncidentTotals } from './incidents.js';
import type { Compared, MoneyAtRisk, PeriodView, ReportFigures, RunCounts, ValueReportModel } from './value-report-model.js';
import { describeDates, describePeriod, previousPeriod, type ReportPeriod } from './period.js';
import { summarise } from './summary.js';

export type { Compared, TimeSaved, MoneyAtRisk, RunCounts, ReportFigures, PeriodView, ValueReportModel } from './value-report-model.js';

const round = (x: number, digits = 4) => Math.round(x * 10 ** digits) / 10 ** digits;

function compared<T>(current: T, previous: T, measure: (t: T) => number | null): Compared<T> {
  const c = measure(current);
  const p = measure(previous);
  const change = c === null || p === null ? null : round(c - p);
  return { current, previous, change, change_ratio: change === null || !p ? null : round(change / p) };
}

const zeroMoney = (currency: string): Money => ({ total: 0, currency, by_currency: {}, unconverted_currencies: [] });

function zeroFigures(currency: string): ValueFigures {
  return {
    money_moved: zeroMoney(currency),
    records_moved: 0,
    records_failed: 0,
    records_skipped: 0,
    time_saved: { minutes: 0, hours: 0, value: 0, currency },
    value_at_risk: { ...zeroMoney(currency), records: 0 },
    unconverted_currencies: [],
  };
}

function runCounts(connections: readonly ConnectionHealth[]): RunCounts {
  const runs = { total: 0, succeeded: 0, partial: 0, failed: 0 };
  for (const c of connections) {
    runs.total += c.runs.total;
    runs.succeeded += c.runs.succeeded;
    runs.partial += c.runs.partial;
    runs.failed += c.runs.failed;
  }
  return runs;
}

const successRate = (r: RunCounts) => (r.total ? round(r.succeeded / r.total) : null);

/** Compares two periods' figures, one source each: value (getValue), runs (getHealth), incidents. */
function compareFigures(
  cur: { value: ValueFigures; runs: RunCounts; incidents: Incident[] },
  prev: { value: ValueFigures; runs: RunCounts; incidents: Incident[] },
  currency: string,
): ReportFigures {
  const risk = (v: ValueFigures): MoneyAtRisk => v.value_at_risk ?? { ...zeroMoney(currency), records: 0 };
  return {
    records_moved: compared(cur.value.records_moved, prev.value.records_moved, (n) => n),
    records_failed: compared(cur.value.records_failed, prev.value.records_failed, (n) => n),
    records_skipped: compared(cur.value.records_skipped, prev.value.records_skipped, (n) => n),
    money_moved: compared(cur.value.money_moved, prev.value.money_moved, (m) => m.total),
    time_saved: compared(cur.value.time_saved, prev.value.time_saved, (t) => t.minutes),
    value_at_risk: compared(risk(cur.value), risk(prev.value), (m) => m.total),
    runs: compared(cur.runs, prev.runs, (r) => r.total),
    success_rate: compared(successRate(cur.runs), successRate(prev.runs), (r) => r),
    incidents: compared(incidentTotals(cur.incidents), incidentTotals(prev.incidents), (i) => i.count),
  };
}

const periodView = (p: ReportPeriod): PeriodView => ({
  kind: p.kind,
  label: p.label,
  name: describePeriod(p),
  dates: describeDates(p),
  from: p.from.toISOString(),
  to: p.to.toISOString(),
});

/** What the report needs to know: the tenant, the period and the time it is built. */
export interface ValueReportRequest {
  tenant: string;
  period: ReportPeriod;
  now: number;
}

/**
 * Builds a tenant's value report. Every value figure comes from getValue (so it equals
 * GET /v1/value for the same tenant, from and to), runs and success rate from getHealth,
 * incidents from the alert history. The previous period is the previous calendar month or
 * ISO week, or for a range the range of equal length before it.
 */
export async function buildValueReport(driver: Driver, config: Pick<Config, 'value' | 'health'>, req: ValueReportRequest): Promise<ValueReportModel> {
  const { tenant, period, now } = req;
  const previous = previousPeriod(period);
  const range = { from: period.from, to: period.to };
  const prevRange = { from: previous.from, to: previous.to };
  // One getValue answers both periods (its `previous` is the report's previous period).
  const [value, days, health, prevHealth, incidents] = await Promise.all([
    getValue(driver, { tenant, range, previous: prevRange, groupBy: 'integration' }, config.value),
    getValueByDay(driver, { tenant, range }, config.value),
    getHealth(driver, config.health, { tenant, range, windowLabel: `in ${describePeriod(period)}`, now }),
    getHealth(driver, config.health, { tenant, range: prevRange, windowLabel: `in ${describePeriod(previous)}`, now }),
    getIncidents(driver, tenant, period, previous),
  ]);
  const currency = config.value.reporting_currency;
  const previousTotals: ValueFigures = value.previous;
  const previousGroup = (integration: string): ValueFigures | undefined => value.groups.find((g) => g.integration === integration)?.previous;

  const totals = compareFigures(
    { value, runs: runCounts(health), incidents: incidents.current },
    { value: previousTotals, runs: runCounts(prevHealth), incidents: incidents.previous },
    currency,
  );

  const names = new Set<string>();
  for (const g of value.groups) if (g.integration !== undefined) names.add(g.integration);
  for (const c of [...health, ...prevHealth]) if (c.runs.total > 0) names.add(c.integration);
  for (const i of [...incidents.current, ...incidents.previous]) if (i.integration) names.add(i.integration);
  const integrations = [...names].map((integration) => ({
    integration,
    ...compareFigures(
      {
        value: value.groups.find((g) => g.integration === integration) ?? zeroFigures(currency),
        runs: runCounts(health.filter((c) => c.integration === integration)),
        incidents: incidents.current.filter((i) => i.integration === integration),
      },
      {
        value: previousGroup(integration) ?? zeroFigures(currency),
        runs: runCounts(prevHealth.filter((c) => c.integration === integration)),
        incidents: incidents.previous.filter((i) => i.integration === integration),
      },
      currency,
    ),
  }));
  integrations.sort((a, b) => b.records_moved.current - a.records_moved.current || a.integration.localeCompare(b.integration));

  const activity = value.records_moved + value.records_failed + value.records_skipped + totals.runs.current.total + incidents.current.length;
  const model: Omit<ValueReportModel, 'summary'> = {
    tenant,
    title: `Value report, ${describePeriod(period)}`,
    period: periodView(period),
    previous: periodView(previous),
    generated_at: new Date(now).toISOString(),
    reporting_currency: currency,
    empty: activity === 0,
    totals,
    integrations,
    daily: dailySeries(days),
    incidents: incidents.current,
    unconverted_currencies: [...new Set([...value.unconverted_currencies, ...previousTotals.unconverted_currencies])].sort(),
    conversion: value.conversion,
  };
  return { ...model, summary: summarise(model) };
}

function dailySeries(days: ValueGroup[]): ValueReportModel['daily'] {
  return days.map((g) => ({ day: g.day ?? '', records_moved: g.records_moved, records_failed: g.records_failed, money_moved: g.money_moved.total }));
}
