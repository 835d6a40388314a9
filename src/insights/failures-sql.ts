import { z } from 'zod';
import { fromChTime, toChTime, type Driver } from '../store/index.js';
import { hasEdges, rawEdgesByHourSql, rollupBodySql, splitParams } from './rollup-range.js';
import type { TimeRange } from './range.js';

/** Which failures to read; every field is an optional equality filter. */
export interface FailureFilter {
  tenant?: string;
  integration?: string;
  flow?: string;
  category?: string;
  code?: string;
}

function filterSql(f: FailureFilter): string {
  const where = ["failure_category != ''"];
  if (f.tenant) where.push('tenant = {tenant:String}');
  if (f.integration) where.push('integration = {integration:String}');
  if (f.flow) where.push('flow = {flow:String}');
  if (f.category) where.push('failure_category = {category:String}');
  if (f.code) where.push('failure_code = {code:String}');
  return where.join(' AND ');
}

/**
 * Whole hours from failure_stats, the partial hours at the window's edges from
 * failure_log, in the same shape (the raw branch computes the states the view does).
 * The raw branch is left out when the window is whole hours: each table read costs
 * planning time on the embedded engine however few rows it returns.
 */
function sourceSql(f: FailureFilter, range: TimeRange): string {
  const where = filterSql(f);
  const stats = `
    SELECT failure_category, failure_code, scope, hour, failures, affected, first_seen, last_seen
    FROM failure_stats
    WHERE ${where} AND ${rollupBodySql('hour', 'hour')}`;
  if (!hasEdges(range, 'hour')) return stats;
  return `${stats}
    UNION ALL
    SELECT failure_category, failure_code, if(record_id = '', 'run', 'record') AS scope, hour,
           count() AS failures,
           uniqExactState(concat(tenant, '\\0', integration, '\\0', if(record_id = '', run, record_id))) AS affected,
           min(ts) AS first_seen,
           max(ts) AS last_seen
    FROM failure_log
    WHERE ${where} AND ${rawEdgesByHourSql('hour')}
    GROUP BY failure_category, failure_code, scope, hour`;
}

/** Rollup rows (group × hour) per category and code whose examples are considered. */
const EXAMPLE_ROWS = 50;

function params(f: FailureFilter, range: TimeRange, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    tenant: f.tenant ?? '',
    integration: f.integration ?? '',
    flow: f.flow ?? '',
    category: f.category ?? '',
    code: f.code ?? '',
    ...splitParams(range, 'hour'),
    ...extra,
  };
}

const groupRow = z
  .object({
    failure_category: z.string(),
    failure_code: z.string(),
    failure_count: z.coerce.number(),
    affected_records: z.coerce.number(),
    affected_runs: z.coerce.number(),
    first_seen: z.string(),
    last_seen: z.string(),
    examples_from: z.string(),
    series: z.tuple([z.array(z.string()), z.array(z.coerce.number())]),
  })
  .transform((r) => ({
    category: r.failure_category,
    code: r.failure_code,
    count: r.failure_count,
    affectedRecords: r.affected_records,
    affectedRuns: r.affected_runs,
    firstSeen: fromChTime(r.first_seen),
    lastSeen: fromChTime(r.last_seen),
    /** Start of the oldest hour the group's examples can come from (see queryFailureExamples). */
    examplesFrom: new Date(fromChTime(r.examples_from)),
    /** Failures per chart bucket (UTC-aligned multiples of the bucket size); buckets without any are absent. */
    series: r.series[0].map((t, i) => ({ time: new Date(fromChTime(t)).toISOString(), count: r.series[1][i] })),
  }));

/** Failures of one category and code over a window. */
export type FailureGroupRow = z.output<typeof groupRow>;

/**
 * Failures grouped by category and code, most frequent first, each with its counts per
 * chart bucket (`bucketSeconds`): one read of the sources serves the groups and the chart.
 */
export function queryFailureGroups(driver: Driver, f: FailureFilter, range: TimeRange, bucketSeconds: number): Promise<FailureGroupRow[]> {
  return driver.query({
    name: 'failures.groups',
    sql: `SELECT failure_category, failure_code,
                 sum(failures) AS failure_count,
                 uniqExactMergeIf(affected, scope = 'record') AS affected_records,
                 uniqExactMergeIf(affected, scope = 'run') AS affected_runs,
                 min(first_seen) AS first_seen,
                 max(last_seen) AS last_seen,
                 toString(arrayReverseSort(groupArray(hour))[least({exampleRows:UInt32}, count())]) AS examples_from,
                 sumMap([toDateTime(intDiv(toUnixTimestamp(hour), {bucketSeconds:UInt32}) * {bucketSeconds:UInt32}, 'UTC')], [failures]) AS series
          FROM (${sourceSql(f, range)})
          GROUP BY failure_category, failure_code
          ORDER BY failure_count DESC, failure_category, failure_code`,
    params: params(f, range, { exampleRows: EXAMPLE_ROWS, bucketSeconds }),
    schema: groupRow,
  });
}

const exampleRow = z
  .object({
    failure_category: z.string(),
    failure_code: z.string(),
    tenant: z.string(),
    integration: z.string(),
    flow: z.string(),
    neg_ms: z.coerce.number(),
    record_id: z.string(),
    message: z.string(),
    run: z.string(),
  })
  .transform((r) => ({
    category: r.failure_category,
    code: r.failure_code,
    tenant: r.tenant,
    integration: r.integration,
    flow: r.flow,
    time: new Date(-r.neg_ms).toISOString(),
    recordId: r.record_id || null,
    run: r.run || null,
    message: r.message,
  }));

/** One recent failure shown as an example of its group. */
export type FailureExampleRow = z.output<typeof exampleRow>;

/**
 * Up to 10 recent examples per category and code, one per record (or per run, for run
 * failures), latest first, read from failure_log (every failure, ordered by hour, then
 * tenant). Pass a range that starts at the groups' `examplesFrom`: the latest 50 rollup
 * rows of each group lie after it, and they hold the latest distinct records unless one
 * record failed in every one of them, which for examples is close enough; only those
 * hours are read.
 */
export function queryFailureExamples(driver: Driver, f: FailureFilter, range: TimeRange): Promise<FailureExampleRow[]> {
  const T = "DateTime64(3, 'UTC')";
  return driver.query({
    name: 'failures.examples',
    sql: `SELECT * FROM (
            SELECT failure_category, failure_code, tenant, integration, flow,
                   -toUnixTimestamp64Milli(ts) AS neg_ms, record_id, message, run
            FROM failure_log
            WHERE ${filterSql(f)} AND hour >= toStartOfHour({from:${T}}) AND hour < {to:${T}} AND ts >= {from:${T}} AND ts < {to:${T}}
            ORDER BY neg_ms, record_id, run
            LIMIT 1 BY failure_category, failure_code, tenant, integration, record_id, if(record_id = '', run, '')
          )
          ORDER BY failure_category, failure_code, neg_ms, record_id, run
          LIMIT 10 BY failure_category, failure_code`,
    params: { ...params(f, range), from: toChTime(range.from.getTime()), to: toChTime(range.to.getTime()) },
    schema: exampleRow,
  });
}
