import { describeMoney, formatDuration, formatMoney, formatNumber, formatPercent, formatTime } from '../format/index.js';
import { barChart } from './charts.js';
import { describeChange, describeRateChange } from './summary.js';
import type { Money } from '../insights/index.js';
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
  /** Money moved per currency, with the rate it was converted at ("no rate": shown beside the totals). */
  currencies: { currency: string; amount: string; previous: string; rate: string }[];
  integrations: IntegrationView[];
  incidents: IncidentView[];
  /** Null for an empty period; `integrations` only with three integrations or more. */
  charts: { records: string; money: string | null; integrations: string | null } | null;
  notes: string[];
  links: ReportLinks | null;
}

const hours = (h: number) => `${formatNumber(h)} ${h === 1 ? 'hour' : 'hours'}`;
const count = (n: number, one: string, many = `${one}s`) => `${formatNumber(n)} ${n === 1 ? one : many}`;
const changeOf = <T>(c: Compared<T>, measure: (t: T) => number, format: (n: number) => string) => describeChange(c, measure(c.previous), format);

/** "12 of 14 runs clean, 2 with failed records, 1 failed". */
function runsNote(r: ReportFigures['runs']['current']): string {
  const parts = [`${formatNumber(r.succeeded)} of ${count(r.total, 'run')} clean`];
  if (r.partial) parts.push(`${formatNumber(r.partial)} with failed records`);
  if (r.failed) parts.push(`${formatNumber(r.failed)} failed`);
  return parts.join(', ');
}

/** "1 EUR = $1.06 (reference rates of 2026-11-30)", "—" for the reporting currency, "no rate". */
function rateText(m: ValueReportModel, c: string): string {
  if (c === m.reporting_currency) return '—';
  const rate = m.conversion.rates[c];
  if (rate === undefined) return 'no rate';
  const source = m.conversion.reference_currencies.includes(c) ? ` (reference rates of ${m.conversion.reference_as_of})` : '';
  return `1 ${c} = ${formatMoney(rate, m.reporting_currency)}${source}`;
}

/** Under the money figure: what the total is in, and what stands beside it unconverted. */
function conversionNote(m: Money, currency: string): string {
  const converted = Object.keys(m.by_currency).filter((c) => !m.unconverted_currencies.includes(c));
  if (m.unconverted_currencies.length === 0) return `converted to ${currency}`;
  const without = `${m.unconverted_currencies.join(', ')} in ${m.unconverted_currencies.length === 1 ? 'its' : 'their'} own currency (no rate)`;
  return converted.length ? `${currency} total, plus ${without}` : without;
}

function figures(t: ReportFigures, currency: string): FigureView[] {
  const money = (n: number) => formatMoney(n, currency);
  const rate = t.success_rate;
  const incidents = t.incidents.current;
  return [
    { key: 'records_moved', label: 'Records moved', value: formatNumber(t.records_moved.current), note: `${count(t.records_failed.current, 'failed attempt')}`, change: changeOf(t.records_moved, (n) => n, formatNumber) },
    { key: 'money_moved', label: 'Money moved', value: describeMoney(t.money_moved.current), note: conversionNote(t.money_moved.current, currency), change: changeOf(t.money_moved, (m) => m.total, money) },
    { key: 'time_saved', label: 'Time saved', value: hours(t.time_saved.current.hours), note: `worth ${money(t.time_saved.current.value)}`, change: changeOf(t.time_saved, (m) => m.hours, hours) },
    { key: 'success_rate', label: 'Run success rate', value: formatPercent(rate.current), note: runsNote(t.runs.current), change: describeRateChange(rate) },
    { key: 'value_at_risk', label: 'Value at risk', value: describeMoney(t.value_at_risk.current), note: `${count(t.value_at_risk.current.records, 'record')} failed and not synced since`, change: changeOf(t.value_at_risk, (m) => m.total, money) },
    { key: 'incidents', label: 'Incidents', value: formatNumber(incidents.count), note: incidents.count ? `${formatDuration(incidents.minutes * 60_000)} in all` : 'none', change: changeOf(t.incidents, (i) => i.count, formatNumber) },
  ];
}

function integrationRow(i: ValueReportModel['integrations'][number], currency: string): IntegrationView {
  const money = (n: number) => formatMoney(n, currency);
  return {
    integration: i.integration,
    records_moved: formatNumber(i.records_moved.current),
    records_change: changeOf(i.records_moved, (n) => n, formatNumber),
    money_moved: describeMoney(i.money_moved.current),
    money_change: changeOf(i.money_moved, (m) => m.total, money),
    time_saved: hours(i.time_saved.current.hours),
    success_rate: formatPercent(i.success_rate.current),
    value_at_risk: describeMoney(i.value_at_risk.current),
    incidents: i.incidents.current.count ? `${formatNumber(i.incidents.current.count)} (${formatDuration(i.incidents.current.minutes * 60_000)})` : '0',
  };
}

/** Short day labels for chart axes: "5 Oct". */
const dayLabel = (day: string) => new Date(`${day}T00:00:00Z`).toLocaleDateString('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' });

/** The charts: records and money per day, records by integration. */
function charts(m: ValueReportModel, width: number): ValueReportView['charts'] {
  if (m.empty) return null;
  return {
    records: barChart(m.daily.map((d) => ({ label: dayLabel(d.day), value: d.records_moved })), { title: `Records moved per day for ${m.tenant}, ${m.period.name}`, width }),
    // Only converted money is charted; with none (every currency without a rate) there is no chart rather than a row of zeros.
    money: m.daily.some((d) => d.money_moved !== 0)
      ? barChart(m.daily.map((d) => ({ label: dayLabel(d.day), value: d.money_moved })), {
          title: `Money moved per day (${m.reporting_currency}${m.unconverted_currencies.length ? `; ${m.unconverted_currencies.join(', ')} not included` : ''}), ${m.period.name}`,
          width,
          colour: '#067647',
        })
      : null,
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
    rate: rateText(m, c),
  }));
  const notes: string[] = [];
  if (m.unconverted_currencies.length) {
    notes.push(
      `Amounts in ${m.unconverted_currencies.join(', ')} have no conversion rate, so they are shown beside the ${currency} totals in their own currency, not added to them; the per-day money chart and the changes against ${m.previous.name} count the ${currency} totals only.`,
    );
  }
  const { reference_as_of: asOf, reference_currencies: fromTable } = m.conversion;
  if (asOf && fromTable.length) notes.push(`${fromTable.join(', ')} ${fromTable.length === 1 ? 'is' : 'are'} converted to ${currency} at the reference rates of ${asOf}.`);
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
      duration: formatDuration(i.duration_minutes * 60_000),
      records: i.records,
    })),
    charts: charts(m, opts.chartWidth ?? 552),
    notes,
    links,
  };
}
