import { badRequest } from '../errors.js';
import { checkDate } from '../insights/index.js';

// Report periods (docs/architecture.md#pages-and-reports): a calendar month (`2026-10`), an ISO week (`2026-W44`)
// or any from/to range. All in UTC; every period is half-open, [from, to).

const DAY = 86_400_000;
const WEEK = 7 * DAY;
/** The longest range a report covers (the same limit as GET /v1/value). */
export const MAX_PERIOD_DAYS = 400;

/** A report period: its kind, its label (what `?period=` takes; for ranges `from/to`) and its bounds. */
export interface ReportPeriod {
  kind: 'month' | 'week' | 'range';
  label: string;
  from: Date;
  to: Date;
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const SHORT_MONTHS = MONTHS.map((m) => m.slice(0, 3));
const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** The calendar month containing `t`. */
export function monthOf(t: number): ReportPeriod {
  const d = new Date(t);
  return month(d.getUTCFullYear(), d.getUTCMonth());
}

function month(year: number, monthIndex: number): ReportPeriod {
  const from = new Date(Date.UTC(year, monthIndex, 1));
  const to = new Date(Date.UTC(year, monthIndex + 1, 1));
  return { kind: 'month', label: `${from.getUTCFullYear()}-${pad(from.getUTCMonth() + 1)}`, from, to };
}

/** Monday 00:00 UTC of the ISO week containing `t`. */
const mondayOf = (t: number) => Math.floor(t / DAY) * DAY - ((new Date(t).getUTCDay() + 6) % 7) * DAY;

/** The ISO week containing `t` (weeks start on Monday; week 1 holds the year's first Thursday). */
export function weekOf(t: number): ReportPeriod {
  const monday = mondayOf(t);
  const thursday = new Date(monday + 3 * DAY);
  const isoYear = thursday.getUTCFullYear();
  const week = 1 + Math.floor((thursday.getTime() - Date.UTC(isoYear, 0, 1)) / WEEK);
  return { kind: 'week', label: `${isoYear}-W${pad(week)}`, from: new Date(monday), to: new Date(monday + WEEK) };
}

/** The range from/to as a period (labelled `from/to` in ISO form). */
export function rangePeriod(from: Date, to: Date): ReportPeriod {
  if (!(from.getTime() < to.getTime())) throw badRequest('invalid_parameter', 'from: must be before to');
  if (to.getTime() - from.getTime() > MAX_PERIOD_DAYS * DAY) throw badRequest('invalid_parameter', `to: a report covers at most ${MAX_PERIOD_DAYS} days`);
  return { kind: 'range', label: `${from.toISOString()}/${to.toISOString()}`, from, to };
}

/** Accepted forms of `?period=`. */
export const PERIOD_PATTERN = /^(\d{4})-(?:(0[1-9]|1[0-2])|W(0[1-9]|[1-4]\d|5[0-3]))$/;

/** Parses `2026-10` or `2026-W44`; anything else (or week 53 of a 52-week year) is a 400 naming `period`. */
export function parsePeriod(text: string): ReportPeriod {
  const m = PERIOD_PATTERN.exec(text);
  if (!m) throw badRequest('invalid_parameter', 'period: must be a month like 2026-10 or an ISO week like 2026-W44');
  const year = Number(m[1]);
  if (m[2]) return month(year, Number(m[2]) - 1);
  const week = Number(m[3]);
  // Week 1 is the week of 4 January.
  const period = weekOf(mondayOf(Date.UTC(year, 0, 4)) + (week - 1) * WEEK);
  if (period.label !== text) throw badRequest('invalid_parameter', `period: ${year} has no ISO week ${week}`);
  return period;
}

/** A `from`/`to` parameter: an ISO-8601 timestamp, or a date (midnight UTC). */
export function parseInstant(name: string, text: string): Date {
  const iso = /^\d{4}-\d\d-\d\d$/.test(text) ? `${text}T00:00:00Z` : text;
  const ok = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/.test(iso);
  const t = ok ? Date.parse(iso) : NaN;
  if (!Number.isFinite(t)) throw badRequest('invalid_parameter', `${name}: must be a date (2026-10-01) or an ISO-8601 timestamp`);
  return new Date(t);
}

/**
 * The period a request asks for: `period`, or `from` (and `to`, default now), or by
 * default the last full month before `now`.
 */
export function resolvePeriod(q: { period?: string; from?: string; to?: string }, now: number): ReportPeriod {
  if (q.period !== undefined && (q.from !== undefined || q.to !== undefined)) {
    throw badRequest('invalid_parameter', 'period: give either period or from/to, not both');
  }
  if (q.period !== undefined) {
    const period = parsePeriod(q.period);
    checkDate('period', period.from.getTime());
    checkDate('period', period.to.getTime());
    return period;
  }
  if (q.to !== undefined && q.from === undefined) throw badRequest('invalid_parameter', 'from: is required when to is given');
  if (q.from !== undefined) {
    const from = parseInstant('from', q.from);
    const to = q.to === undefined ? new Date(now) : parseInstant('to', q.to);
    checkDate('from', from.getTime());
    checkDate('to', to.getTime());
    return rangePeriod(from, to);
  }
  return lastFullPeriod('month', now);
}

/** The latest whole month or ISO week that ended at or before `now`. */
export function lastFullPeriod(kind: 'month' | 'week', now: number): ReportPeriod {
  const current = kind === 'month' ? monthOf(now) : weekOf(now);
  return previousPeriod(current);
}

/** The period a report compares with: the previous month or week, or the range of equal length just before. */
export function previousPeriod(p: ReportPeriod): ReportPeriod {
  if (p.kind === 'month') return monthOf(p.from.getTime() - 1);
  if (p.kind === 'week') return weekOf(p.from.getTime() - 1);
  const len = p.to.getTime() - p.from.getTime();
  return rangePeriod(new Date(p.from.getTime() - len), new Date(p.from));
}

/** The period after `p` (the page's "next" link). */
export function nextPeriod(p: ReportPeriod): ReportPeriod {
  if (p.kind === 'month') return monthOf(p.to.getTime());
  if (p.kind === 'week') return weekOf(p.to.getTime());
  const len = p.to.getTime() - p.from.getTime();
  return rangePeriod(new Date(p.to), new Date(p.to.getTime() + len));
}

const dayText = (t: number) => {
  const d = new Date(t);
  return `${d.getUTCDate()} ${SHORT_MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
};
const isMidnight = (d: Date) => d.getTime() % DAY === 0;

/** The inclusive dates a period covers, in words: "26 Oct 2026 – 1 Nov 2026". */
export function describeDates(p: ReportPeriod): string {
  const lastDay = isMidnight(p.to) ? p.to.getTime() - DAY : p.to.getTime();
  if (isMidnight(p.from) && isMidnight(p.to)) {
    return lastDay === p.from.getTime() ? dayText(lastDay) : `${dayText(p.from.getTime())} – ${dayText(lastDay)}`;
  }
  const at = (d: Date) => `${dayText(d.getTime())} ${d.toISOString().slice(11, 16)} UTC`;
  return `${at(p.from)} – ${at(p.to)}`;
}

/** A period's name in words: "October 2026", "week 44 of 2026", or its dates. */
export function describePeriod(p: ReportPeriod): string {
  if (p.kind === 'month') return `${MONTHS[p.from.getUTCMonth()]} ${p.from.getUTCFullYear()}`;
  if (p.kind === 'week') {
    const [year, week] = p.label.split('-W');
    return `week ${Number(week)} of ${year}`;
  }
  return describeDates(p);
}
