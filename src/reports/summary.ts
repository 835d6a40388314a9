import { describeMoney, formatDuration, formatMoney, formatNumber, formatPercent } from '../format/index.js';
import type { Compared, ValueReportModel } from './value-report-model.js';

// The words of a value report. The tone is a summary, not a boast (docs/architecture.md#pages-and-reports): what
// moved, what it saved, what went wrong and what still waits — and, for a quiet period,
// that nothing happened.

const plural = (n: number, one: string, many = `${one}s`) => `${formatNumber(n)} ${n === 1 ? one : many}`;

/**
 * How a figure changed, in words: "up 8.3% from 3,890", "down 2 from 14", "the same as
 * before", "none before". `format` shows a figure of this kind.
 */
export function describeChange(c: Pick<Compared<unknown>, 'change' | 'change_ratio'>, previous: number | null, format: (n: number) => string): string {
  if (c.change === null || previous === null) return previous === null ? 'nothing to compare with' : '';
  if (c.change === 0) return 'the same as before';
  const direction = c.change > 0 ? 'up' : 'down';
  if (previous === 0) return `${direction} from none`;
  const ratio = c.change_ratio === null ? '' : ` ${formatPercent(Math.abs(c.change_ratio))}`;
  return `${direction}${ratio} from ${format(previous)}`;
}

/** A change of a success rate, in percentage points: "up 1.2 points from 97.1%". */
export function describeRateChange(c: Compared<number | null>): string {
  if (c.current === null || c.previous === null || c.change === null) return c.previous === null ? 'no runs before' : '';
  if (c.change === 0) return 'the same as before';
  const points = formatNumber(Math.round(Math.abs(c.change) * 1000) / 10);
  return `${c.change > 0 ? 'up' : 'down'} ${points} ${points === '1' ? 'point' : 'points'} from ${formatPercent(c.previous)}`;
}

/** The report in a few plain sentences. */
export function summarise(m: Omit<ValueReportModel, 'summary'>): string {
  const t = m.totals;
  const money = t.money_moved.current;
  const risk = t.value_at_risk.current;
  const riskText = Object.keys(risk.by_currency).length ? ` (${describeMoney(risk)})` : '';
  const waiting = risk.records > 0 ? ` ${plural(risk.records, 'record')} that failed ${risk.records === 1 ? 'is' : 'are'} still waiting to be synced${riskText}.` : '';
  if (m.empty) return `There was no activity for ${m.tenant} in ${m.period.name}: no runs, and no records moved.${waiting}`;

  const parts: string[] = [];
  const worth = Object.keys(money.by_currency).length ? ` worth ${describeMoney(money)}` : '';
  const time = t.time_saved.current;
  const saved = time.minutes > 0 ? `, saving about ${plural(time.hours, 'hour')} of manual work (worth ${formatMoney(time.value, time.currency)})` : '';
  parts.push(`Your integrations moved ${plural(t.records_moved.current, 'record')}${worth} in ${m.period.name}${saved}.`);
  const runs = t.runs.current;
  if (runs.total > 0) {
    const partial = runs.partial ? ` ${plural(runs.partial, 'run')} finished with failed records.` : '';
    parts.push(`${formatPercent(t.success_rate.current)} of ${plural(runs.total, 'run')} succeeded without a failed record.${partial}`);
  }
  const incidents = t.incidents.current;
  parts.push(
    incidents.count === 0
      ? 'There were no incidents.'
      : `There ${incidents.count === 1 ? 'was' : 'were'} ${plural(incidents.count, 'incident')}, ${formatDuration(incidents.minutes * 60_000)} in all.`,
  );
  if (waiting) parts.push(waiting.trim());
  return parts.join(' ');
}
