import { badRequest } from '../errors.js';
import { FAILURE_CATEGORIES, type FailureCategory } from '../ingest/index.js';
import type { Driver } from '../store/index.js';
import { queryFailureExamples, queryFailureGroups, type FailureFilter } from './failures-sql.js';
import { UNIT_MS, type RollupUnit } from './rollup-range.js';
import type { TimeRange } from './range.js';

/** Windows up to this long are charted per hour, longer ones per day. */
const HOURLY_SERIES_MAX_MS = 48 * UNIT_MS.hour;
/** The longest window an hourly series may be asked for (744 points). */
const HOURLY_SERIES_LIMIT_MS = 31 * UNIT_MS.day;

/** One failure shown as an example: which record (or run) failed, and why. */
export interface FailureExample {
  tenant: string;
  integration: string;
  flow: string;
  /** The business identifier; null when the run itself failed. */
  record_id: string | null;
  run: string | null;
  message: string;
  time: string;
}

/** Failures of one category and code over the window (the API's shape). */
export interface FailureGroup {
  category: string;
  code: string;
  count: number;
  affected_records: number;
  affected_runs: number;
  first_seen: string;
  last_seen: string;
  examples: FailureExample[];
}

/** One bucket of the chart series: failures per category. */
export type FailurePoint = { time: string; total: number } & Record<FailureCategory, number>;

/** GET /v1/failures's answer. */
export interface FailuresReport {
  from: string;
  to: string;
  filters: FailureFilter;
  total: number;
  by_category: Record<FailureCategory, number>;
  groups: FailureGroup[];
  bucket: RollupUnit;
  series: FailurePoint[];
}

/** The chart bucket for a window when the caller does not choose: hourly up to 48 h, else daily. */
export function chooseBucket(range: TimeRange): RollupUnit {
  return range.to.getTime() - range.from.getTime() <= HOURLY_SERIES_MAX_MS ? 'hour' : 'day';
}

const zeroByCategory = () => Object.fromEntries(FAILURE_CATEGORIES.map((c) => [c, 0])) as Record<FailureCategory, number>;

/** Every bucket from the one holding `from` up to `to`, zero-filled, so charts have no gaps. */
function emptySeries(range: TimeRange, unit: RollupUnit): Map<string, FailurePoint> {
  const step = UNIT_MS[unit];
  const points = new Map<string, FailurePoint>();
  for (let t = Math.floor(range.from.getTime() / step) * step; t < range.to.getTime(); t += step) {
    const time = new Date(t).toISOString();
    points.set(time, { time, total: 0, ...zeroByCategory() });
  }
  return points;
}

/**
 * Failures over a window (docs/architecture.md#failure-categories): grouped by category and code with counts,
 * affected records and runs, first/last seen within the window and up to 10 recent
 * examples each, plus a zero-filled series for charts. Read from the failure_stats
 * rollup (whole hours) and raw events (the partial hours at the edges).
 */
export async function getFailures(
  driver: Driver,
  q: FailureFilter & { range: TimeRange; bucket?: RollupUnit },
): Promise<FailuresReport> {
  const { range, bucket: chosen, ...filter } = q;
  const bucket = chosen ?? chooseBucket(range);
  if (bucket === 'hour' && range.to.getTime() - range.from.getTime() > HOURLY_SERIES_LIMIT_MS) {
    throw badRequest('invalid_parameter', 'bucket: hourly buckets cover at most 31 days; use day');
  }
  const groups = await queryFailureGroups(driver, filter, range, UNIT_MS[bucket] / 1000);
  // Examples come from the latest rollup rows of each group: read only the hours they lie in.
  const examplesFrom = Math.max(range.from.getTime(), Math.min(...groups.map((g) => g.examplesFrom.getTime())));
  const examples = groups.length ? await queryFailureExamples(driver, filter, { from: new Date(examplesFrom), to: range.to }) : [];

  const byGroup = new Map<string, FailureExample[]>();
  for (const e of examples) {
    const key = `${e.category}\u0000${e.code}`;
    const list = byGroup.get(key) ?? [];
    list.push({ tenant: e.tenant, integration: e.integration, flow: e.flow, record_id: e.recordId, run: e.run, message: e.message, time: e.time });
    byGroup.set(key, list);
  }

  const byCategory = zeroByCategory();
  for (const g of groups) if (g.category in byCategory) byCategory[g.category as FailureCategory] += g.count;

  const points = emptySeries(range, bucket);
  for (const g of groups) {
    for (const s of g.series) {
      const point = points.get(s.time);
      if (!point) continue;
      point.total += s.count;
      if (g.category in byCategory) point[g.category as FailureCategory] += s.count;
    }
  }

  return {
    from: range.from.toISOString(),
    to: range.to.toISOString(),
    filters: filter,
    total: groups.reduce((n, g) => n + g.count, 0),
    by_category: byCategory,
    groups: groups.map((g) => ({
      category: g.category,
      code: g.code,
      count: g.count,
      affected_records: g.affectedRecords,
      affected_runs: g.affectedRuns,
      first_seen: g.firstSeen,
      last_seen: g.lastSeen,
      examples: byGroup.get(`${g.category}\u0000${g.code}`) ?? [],
    })),
    bucket,
    series: [...points.values()],
  };
}
