import type { ValueSettings } from '../config.js';
import type { Driver } from '../store/index.js';
import { UNIT_MS } from './rollup-range.js';
import { computeFigures, rateOf, type ValueFigures } from './value-model.js';
import { queryAtRiskAsOf } from './value-at-risk.js';
import { queryMoved, type AtRiskRow, type MovedRow, type ValueFilter } from './value-sql.js';
import { previousRange, type TimeRange } from './range.js';

export type { Money, ValueFigures } from './value-model.js';
export type { ValueFilter } from './value-sql.js';

/** How GET /v1/value breaks its figures down. */
export const VALUE_GROUPINGS = ['integration', 'flow', 'day'] as const;
export type ValueGroupBy = (typeof VALUE_GROUPINGS)[number];

/** The figures of one group; integration and flow groups carry their previous period too. */
export type ValueGroup = { integration?: string; flow?: string; day?: string } & ValueFigures & {
    previous?: ValueFigures;
  };

/**
 * How the answer's money was converted: the rate of every currency it holds that has one
 * (units of the reporting currency per unit), and which of them came from the dated
 * reference table rather than the configuration.
 */
export interface Conversion {
  rates: Record<string, number>;
  reference_as_of: string | null;
  reference_currencies: string[];
}

/** GET /v1/value's answer: the period's figures, the previous period's, and the groups. */
export type ValueReport = {
  from: string;
  to: string;
  filters: ValueFilter;
  reporting_currency: string;
  conversion: Conversion;
} & ValueFigures & {
    previous: { from: string; to: string } & ValueFigures;
    group_by: ValueGroupBy;
    groups: ValueGroup[];
  };

interface Keyed {
  integration: string;
  flow: string;
  day?: string;
}

/** A group's key and the fields that name it in the answer. */
function groupOf(r: Keyed, by: ValueGroupBy): { key: string; fields: { integration?: string; flow?: string; day?: string } } {
  if (by === 'integration') return { key: r.integration, fields: { integration: r.integration } };
  if (by === 'flow') return { key: `${r.integration}\u0000${r.flow}`, fields: { integration: r.integration, flow: r.flow } };
  return { key: r.day ?? '', fields: { day: r.day } };
}

/** Every UTC day the range touches, so a daily chart has no gaps. */
function daysOf(range: TimeRange): string[] {
  const days: string[] = [];
  for (let t = Math.floor(range.from.getTime() / UNIT_MS.day) * UNIT_MS.day; t < range.to.getTime(); t += UNIT_MS.day) {
    days.push(new Date(t).toISOString().slice(0, 10));
  }
  return days;
}

function buildGroups(
  by: ValueGroupBy,
  range: TimeRange,
  current: { moved: MovedRow[]; atRisk: AtRiskRow[] },
  previous: { moved: MovedRow[]; atRisk: AtRiskRow[] },
  settings: ValueSettings,
): ValueGroup[] {
  type Rows = { moved: MovedRow[]; atRisk: AtRiskRow[] };
  type Bucket = { fields: ReturnType<typeof groupOf>['fields']; cur: Rows; prev: Rows };
  const buckets = new Map<string, Bucket>();
  const bucket = (r: Keyed) => {
    const { key, fields } = groupOf(r, by);
    let b = buckets.get(key);
    if (!b) buckets.set(key, (b = { fields, cur: { moved: [], atRisk: [] }, prev: { moved: [], atRisk: [] } }));
    return b;
  };
  if (by === 'day') for (const day of daysOf(range)) bucket({ integration: '', flow: '', day });
  for (const r of current.moved) bucket(r).cur.moved.push(r);
  if (by !== 'day') {
    for (const r of current.atRisk) bucket(r).cur.atRisk.push(r);
    for (const r of previous.moved) bucket(r).prev.moved.push(r);
    for (const r of previous.atRisk) bucket(r).prev.atRisk.push(r);
  }
  return [...buckets.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([, b]) =>
      by === 'day'
        ? { ...b.fields, ...computeFigures(b.cur.moved, null, settings) }
        : { ...b.fields, ...computeFigures(b.cur.moved, b.cur.atRisk, settings), previous: computeFigures(b.prev.moved, b.prev.atRisk, settings) },
    );
}

/** The conversion of the currencies `figures` hold (for the answer to say which rates it used). */
export function conversionOf(figures: readonly ValueFigures[], settings: ValueSettings): Conversion {
  const currencies = new Set<string>();
  for (const f of figures) {
    for (const c of Object.keys(f.money_moved.by_currency)) currencies.add(c);
    for (const c of Object.keys(f.value_at_risk?.by_currency ?? {})) currencies.add(c);
  }
  const rates: Record<string, number> = {};
  for (const c of [...currencies].sort()) {
    const rate = rateOf(c, settings);
    if (rate !== undefined) rates[c] = rate;
  }
  const fromTable = (settings.rates_info?.reference_currencies ?? []).filter((c) => currencies.has(c));
  return { rates, reference_as_of: fromTable.length ? (settings.rates_info?.reference_as_of ?? null) : null, reference_currencies: fromTable };
}

/**
 * The value an integration delivered over a period (docs/architecture.md#value): money moved per
 * currency and converted, records moved, time saved, and value at risk as of the
 * period's end, beside the same figures for the previous period of equal length, and
 * broken down by integration, flow or day (`previous` replaces the equal-length range). Money moved is read from the value_stats
 * rollup (only the partial days at the period's edges from raw events), value at risk
 * from record_failures, record_synced_monthly and record_events (value-at-risk.ts).
 */
export async function getValue(
  driver: Driver,
  q: ValueFilter & { range: TimeRange; groupBy?: ValueGroupBy; previous?: TimeRange },
  settings: ValueSettings,
): Promise<ValueReport> {
  // `previous` (reports): compare with another range, e.g. September for October, in the same queries.
  const { range, groupBy = 'integration', previous, ...filter } = q;
  const prev = previous ?? previousRange(range);
  // Both periods in each query: the embedded engine runs queries one at a time, and each
  // costs planning time; value at risk reads record_events once for both cut-offs.
  const [[moved, prevMoved], [atRisk, prevAtRisk]] = await Promise.all([
    queryMoved(driver, filter, [
      { range, byDay: groupBy === 'day' },
      { range: prev, byDay: false },
    ]),
    queryAtRiskAsOf(driver, filter, [range.to, prev.to]),
  ]);
  const current = computeFigures(moved, atRisk, settings);
  const before = computeFigures(prevMoved, prevAtRisk, settings);
  return {
    from: range.from.toISOString(),
    to: range.to.toISOString(),
    filters: filter,
    reporting_currency: settings.reporting_currency,
    conversion: conversionOf([current, before], settings),
    ...current,
    previous: { from: prev.from.toISOString(), to: prev.to.toISOString(), ...before },
    group_by: groupBy,
    groups: buildGroups(groupBy, range, { moved, atRisk }, { moved: prevMoved, atRisk: prevAtRisk }, settings),
  };
}

/**
 * Money and records moved per UTC day of a range (the `day` groups of getValue, without
 * its value-at-risk and previous-period queries): for daily charts.
 */
export async function getValueByDay(driver: Driver, q: ValueFilter & { range: TimeRange }, settings: ValueSettings): Promise<ValueGroup[]> {
  const { range, ...filter } = q;
  const [moved] = await queryMoved(driver, filter, [{ range, byDay: true }]);
  return buildGroups('day', range, { moved, atRisk: [] }, { moved: [], atRisk: [] }, settings);
}
