import { z } from 'zod';
import { fromChTime, type Driver } from '../store/index.js';
import { rawEdgesByHourSql, rollupBodySql, splitParams } from './rollup-range.js';
import type { TimeRange } from './window.js';

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
 */
function sourceSql(f: FailureFilter): string {
  const where = filterSql(f);
  return `
    SELECT tenant, integration, flow, failure_category, failure_code, scope, hour,
           failures, affected, first_seen, last_seen, examples
    FROM failure_stats
    WHERE ${where} AND ${rollupBodySql('hour', 'hour')}
    UNION ALL
    SELECT tenant, integration, flow, failure_category, failure_code,
           if(record_id = '', 'run', 'record') AS scope,
           hour,
           count() AS failures,
           uniqExactState(concat(tenant, '\\0', integration, '\\0', if(record_id = '', run, record_id))) AS affected,
           min(ts) AS first_seen,
           max(ts) AS last_seen,
           groupArraySortedState(10)((-toUnixTimestamp64Milli(ts), record_id, message, run)) AS examples
    FROM failure_log
    WHERE ${where} AND ${rawEdgesByHourSql('hour')}
    GROUP BY tenant, integration, flow, failure_category, failure_code, scope, hour`;
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
    failures: z.coerce.number(),
    affected_records: z.coerce.number(),
    affected_runs: z.coerce.number(),
    first_seen: z.string(),
    last_seen: z.string(),
    examples_from: z.string(),
  })
  .transform((r) => ({
    category: r.failure_category,
    code: r.failure_code,
    count: r.failures,
    affectedRecords: r.affected_records,
    affectedRuns: r.affected_runs,
    firstSeen: fromChTime(r.first_seen),
    lastSeen: fromChTime(r.last_seen),
    /** Start of the oldest hour the group's examples can come from (see queryFailureExamples). */
    examplesFrom: new Date(fromChTime(r.examples_from)),
  }));

/** Failures of one category and code over a window. */
export type FailureGroupRow = z.output<typeof groupRow>;

/** Failures grouped by category and code, most frequent first. */
export function queryFailureGroups(driver: Driver, f: FailureFilter, range: TimeRange): Promise<FailureGroupRow[]> {
  return driver.query({
    name: 'failures.groups',
    sql: `SELECT failure_category, failure_code,
                 sum(failures) AS failures,
                 uniqExactMergeIf(affected, scope = 'record') AS affected_records,
                 uniqExactMergeIf(affected, scope = 'run') AS affected_runs,
                 min(first_seen) AS first_seen,
                 max(last_seen) AS last_seen,
                 toString(arrayReverseSort(groupArray(hour))[least({exampleRows:UInt32}, count())]) AS examples_from
          FROM (${sourceSql(f)})
          GROUP BY failure_category, failure_code
          ORDER BY failures DESC, failure_category, failure_code`,
    params: params(f, range, { exampleRows: EXAMPLE_ROWS }),
    schema: groupRow,
  });
}

const seriesRow = z
  .object({ bucket: z.string(), failure_category: z.string(), failures: z.coerce.number() })
  .transform((r) => ({ time: new Date(fromChTime(r.bucket)).toISOString(), category: r.failure_category, count: r.failures }));

/** Failure counts per time bucket and category (buckets are UTC-aligned multiples of `bucketSeconds`). */
export function queryFailureSeries(
  driver: Driver,
  f: FailureFilter,
  range: TimeRange,
  bucketSeconds: number,
): Promise<z.output<typeof seriesRow>[]> {
  return driver.query({
    name: 'failures.series',
    sql: `SELECT toDateTime(intDiv(toUnixTimestamp(hour), {bucketSeconds:UInt32}) * {bucketSeconds:UInt32}, 'UTC') AS bucket,
                 failure_category, sum(failures) AS failures
          FROM (${sourceSql(f)})
          GROUP BY bucket, failure_category
          ORDER BY bucket, failure_category`,
    params: params(f, range, { bucketSeconds }),
    schema: seriesRow,
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
 * failures), latest first. Each rollup row keeps its hour's 10 latest failures; the 50
 * rows seen last per group hold the latest distinct records unless one record failed
 * more than 10 times in each of them, which for examples is close enough. Pass a range
 * that starts at the groups' `examplesFrom` (hours before it cannot hold those rows), so
 * only the recent rows' example lists are read.
 */
export function queryFailureExamples(driver: Driver, f: FailureFilter, range: TimeRange): Promise<FailureExampleRow[]> {
  return driver.query({
    name: 'failures.examples',
    sql: `SELECT * FROM (
            SELECT failure_category, failure_code, tenant, integration, flow,
                   ex.1 AS neg_ms, ex.2 AS record_id, ex.3 AS message, ex.4 AS run
            FROM (
              SELECT tenant, integration, flow, failure_category, failure_code, last_seen, examples
              FROM (${sourceSql(f)})
              ORDER BY last_seen DESC
              LIMIT {exampleRows:UInt32} BY failure_category, failure_code
            )
            ARRAY JOIN finalizeAggregation(examples) AS ex
            ORDER BY neg_ms, record_id, run
            LIMIT 1 BY failure_category, failure_code, tenant, integration, record_id, if(record_id = '', run, '')
          )
          ORDER BY failure_category, failure_code, neg_ms, record_id, run
          LIMIT 10 BY failure_category, failure_code`,
    params: params(f, range, { exampleRows: EXAMPLE_ROWS }),
    schema: exampleRow,
  });
}
