import { formatMoney, formatNumber, formatPercent, formatTime } from '../notify/index.js';
import { barChart } from './charts.js';
import { describeChange, describeRateChange, formatDuration } from './summary.js';
import type { Compared, ReportFigures, ValueReportModel } from './value-report.js';

// The value report as templates show it (email HTML and text, the web page): every figure
// already in words, so the three agree, plus the inline-SVG charts. Strings here are plain
// text — templates escape them; only `charts` is markup (built by charts.ts, which escapes
// its own labels).

/** One headline figure. */
export interface FigureView {
  key: string;
  label: string;
  value: string;
  /** A detail under the value ("worth $1,200.00", "12 of 14 runs"). */
  note: string;
  /** Against the previous period, in words. */
  change: string;
}

/** One row of the per-integration table. */
export interface IntegrationView {
  integration: string;
  records_moved: string;
  records_change: string;
  money_moved: string;
  money_change: string;
  time_saved: string;
  success_rate: string;
  value_at_risk: string;
  incidents: string;
}

/** One incident, in words. */
export interface IncidentView {
  where: string;
  summary: string;
  started: string;
  ended: string;
  duration: string;
  records: { id: string; message: string }[];
}

/** Links a report carries (signed for the tenant when it goes out by email or webhook). */
export interface ReportLinks {
  report_url: string;
  status_page_url: string;
}

/** The view model of a value report: what the templates render. */
export interface ValueReportView {
  title: string;
  tenant: string;
  summary: string;
  empty: boolean;
  period_name: string;
  period_dates: string;
  previous_name: string;
  generated_at: string;
  figures: FigureView[];
  currencies: { currency: string; amount: string; previous: string }[];
  integrations: IntegrationView[];
  incidents: IncidentView[];
  /** Null for an empty period; `integrations` only with three integrations or more. */
  charts: { records: string; money: string; integrations: string | null } | null;
  notes: string[];
  links: ReportLinks | null;
}

const hours = (h: number) => `${formatNumber(h)} ${h === 1 ? 'hour' : 'hours'}`;
const count = (n: number, one: string, many = `${one}s`) => `${formatNumber(n)} ${n === 1 ? one : many}`;
const changeOf = <T>(c: Compared<T>, measure: (t: T) => number, format: (n: number) => string) => describeChange(c, measure(c.previous), format);

function figures(t: ReportFigures, currency: string): FigureView[] {
  const money = (n: number) => formatMoney(n, currency);
  const rate = t.success_rate;
  const incidents = t.incidents.current;
  return [
    { key: 'records_moved', label: 'Records moved', value: formatNumber(t.records_moved.current), note: `${count(t.records_failed.current, 'failed attempt')}`, change: changeOf(t.records_moved, (n) => n, formatNumber) },
    { key: 'money_moved', label: 'Money moved', value: money(t.money_moved.current.total), note: `converted to ${currency}`, change: changeOf(t.money_moved, (m) => m.total, money) },
    { key: 'time_saved', label: 'Time saved', value: hours(t.time_saved.current.hours), note: `worth ${money(t.time_saved.current.value)}`, change: changeOf(t.time_saved, (m) => m.hours, hours) },
    { key: 'success_rate', label: 'Run success rate', value: formatPercent(rate.current), note: `${formatNumber(t.runs.current.succeeded)} of ${count(t.runs.current.total, 'run')}`, change: describeRateChange(rate) },
    { key: 'value_at_risk', label: 'Value at risk', value: money(t.value_at_risk.current.total), note: `${count(t.value_at_risk.current.records, 'record')} failed and not synced since`, change: changeOf(t.value_at_risk, (m) => m.total, money) },
    { key: 'incidents', label: 'Incidents', value: formatNumber(incidents.count), note: incidents.count ? `${formatDuration(incidents.minutes)} in all` : 'none', change: changeOf(t.incidents, (i) => i.count, formatNumber) },
  ];
}

function integrationRow(i: ValueReportModel['integrations'][number], currency: string): IntegrationView {
  const money = (n: number) => formatMoney(n, currency);
  return {
    integration: i.integration,
    records_moved: formatNumber(i.records_moved.current),
    records_change: changeOf(i.records_moved, (n) => n, formatNumber),
    money_moved: money(i.money_moved.current.total),
    money_change: changeOf(i.money_moved, (m) => m.total, money),
    time_saved: hours(i.time_saved.current.hours),
    success_rate: formatPercent(i.success_rate.current),
    value_at_risk: money(i.value_at_risk.current.total),
    incidents: i.incidents.current.count ? `${formatNumber(i.incidents.current.count)} (${formatDuration(i.incidents.current.minutes)})` : '0',
  };
}

/** Short day labels for chart axes: "5 Oct". */
const dayLabel = (day: string) => new Date(`${day}T00:00:00Z`).toLocaleDateString('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' });

/** The charts: records and money per day, records by integration. */
function charts(m: ValueReportModel, width: number): ValueReportView['charts'] {
  if (m.empty) return null;
  return {
    records: barChart(m.daily.map((d) => ({ label: dayLabel(d.day), value: d.records_moved })), { title: `Records moved per day for ${m.tenant}, ${m.period.name}`, width }),
    money: barChart(m.daily.map((d) => ({ label: dayLabel(d.day), value: d.money_moved })), { title: `Money moved per day (${m.reporting_currency}), ${m.period.name}`, width, colour: '#067647' }),
    integrations:
      m.integrations.length < 3
        ? null
        : barChart(m.integrations.map((i) => ({ label: i.integration, value: i.records_moved.current })), { title: `Records moved by integration, ${m.period.name}`, width, height: 100 }),
  };
}

/**
 * Turns a report model into what templates show; `links` are absolute (signed when sent).
 * Charts are drawn `chartWidth` wide (default 552 px, the email's content width; they
 * shrink on narrower screens).
 */
export function viewValueReport(m: ValueReportModel, links: ReportLinks | null, opts: { chartWidth?: number } = {}): ValueReportView {
  const currency = m.reporting_currency;
  const money = m.totals.money_moved;
  const currencies = [...new Set([...Object.keys(money.current.by_currency), ...Object.keys(money.previous.by_currency)])].sort().map((c) => ({
    currency: c,
    amount: formatMoney(money.current.by_currency[c] ?? 0, c),
    previous: formatMoney(money.previous.by_currency[c] ?? 0, c),
  }));
  const notes: string[] = [];
  if (m.unconverted_currencies.length) {
    notes.push(`Amounts in ${m.unconverted_currencies.join(', ')} have no conversion rate configured, so they are listed per currency but not included in the ${currency} totals.`);
  }
  notes.push(`Compared with ${m.previous.name} (${m.previous.dates}). Value at risk is as of the end of each period.`);
  return {
    title: m.title,
    tenant: m.tenant,
    summary: m.summary,
    empty: m.empty,
    period_name: m.period.name,
    period_dates: m.period.dates,
    previous_name: m.previous.name,
    generated_at: formatTime(m.generated_at),
    figures: figures(m.totals, currency),
    currencies,
    integrations: m.integrations.map((i) => integrationRow(i, currency)),
    incidents: m.incidents.map((i) => ({
      where: [i.integration, i.flow].filter(Boolean).join(' · ') || 'all integrations',
      summary: i.summary,
      started: formatTime(i.started_at),
      ended: i.ended_at ? formatTime(i.ended_at) : 'still open at the end of the period',
      duration: formatDuration(i.duration_minutes),
      records: i.records,
    })),
    charts: charts(m, opts.chartWidth ?? 552),
    notes,
    links,
  };
}
