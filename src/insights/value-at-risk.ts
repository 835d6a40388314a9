import { z } from 'zod';
import { toChTime, type Driver } from '../store/index.js';
import { and, filterParams, filterSql, MONEY_SQL, toMicros, type ValueFilter } from './value-filter.js';
import { UNIT_MS } from './rollup-range.js';
import { snapshotCache } from './value-at-risk-snapshots.js';

const atRiskRow = z
  .object({ integration: z.string(), flow: z.string(), currency: z.string(), records: z.coerce.number(), value: z.string() })
  .transform((r) => ({ integration: r.integration, flow: r.flow, currency: r.currency, records: r.records, value: r.value }));

/** Records at risk (and their money, exact decimal text) of one (integration, flow, currency). */
export type AtRiskRow = z.output<typeof atRiskRow>;

const cutRow = atRiskRow.and(
  z.object({ p: z.coerce.number(), tie: z.coerce.number(), tie_tenant: z.string(), tie_integration: z.string(), tie_record: z.string() }),
);

// A failure as text that sorts like (event time, event id) and carries what value at risk
// reports, read back from the end (record ids, flows and currencies hold no control
// characters; see src/ingest/events.ts). The max of it is the argMax by (time, id), and a
// string max is much cheaper than argMax over tuples (docs/decisions.md).
const FAILURE = `concat(toString(ts), event_id, '\\0', record_id, '\\0', flow, '\\0', if(has_value = 1, currency, ''), '\\0', toString(record_value))`;

const AS_OF = (i: number) => `{asOf${i}:DateTime64(3, 'UTC')}`;
const MONTH_OF = (i: number) => `{month${i}:DateTime64(3, 'UTC')}`;
const UNTIL = "{until:DateTime64(3, 'UTC')}";

/** The start of the UTC calendar month holding `d`, in epoch ms. */
const monthStart = (d: Date) => Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);

const cutParams = (asOfs: readonly Date[]) => ({
  ...Object.fromEntries(asOfs.map((d, i) => [`asOf${i}`, toChTime(d.getTime())])),
  ...Object.fromEntries(asOfs.map((d, i) => [`month${i}`, toChTime(monthStart(d))])),
  until: toChTime(Math.max(...asOfs.map((d) => d.getTime()))),
});

/**
 * Records whose latest attempt before `asOf` failed (failed, not synced since), with the
 * value of that failed attempt, per integration, flow (of the failure) and currency.
 */
export async function queryAtRisk(driver: Driver, f: ValueFilter, asOf: Date): Promise<AtRiskRow[]> {
  return (await queryAtRiskAsOf(driver, f, [asOf]))[0];
}

/**
 * {@link queryAtRisk} as of several cut-offs (a period's end and the previous period's).
 * A record is at risk at a cut-off when its last failure before it is newer than its last
 * sync before it; both are found per record (record_key, see migration 020). A cut-off
 * whose day has a valid snapshot (the records at risk at the day's start, embedded store
 * only: value-at-risk-snapshots.ts) reads it and the day's events up to the cut-off; the
 * others read the rollups ({@link rollupSources}). A failure and a sync in the same
 * millisecond are settled exactly by event id afterwards ({@link settleTies}; rare).
 * Returns one row list per cut-off, in the order given.
 */
export async function queryAtRiskAsOf(driver: Driver, f: ValueFilter, asOfs: readonly Date[]): Promise<AtRiskRow[][]> {
  const cache = snapshotCache(driver, (table, tenant, dayStart) => buildSnapshot(driver, table, tenant, dayStart));
  // A cut-off takes its day's snapshot when there is a valid one (value-at-risk-snapshots.ts).
  const leases = asOfs.map((asOf) => cache?.lease(f.tenant ?? null, new Date(Math.floor(asOf.getTime() / UNIT_MS.day) * UNIT_MS.day)) ?? null);
  try {
    const fromSnapshots = asOfs.flatMap((_, i) => (leases[i] ? [i] : []));
    const fromRollups = asOfs.flatMap((_, i) => (leases[i] ? [] : [i]));
    const [a, b] = await Promise.all([
      fromRollups.length ? runAtRisk(driver, f, fromRollups.map((i) => asOfs[i]), rollupSources) : [],
      fromSnapshots.length ? runAtRisk(driver, f, fromSnapshots.map((i) => asOfs[i]), snapshotSources(fromSnapshots.map((i) => leases[i]!.table))) : [],
    ]);
    const out: AtRiskRow[][] = [];
    fromRollups.forEach((i, k) => (out[i] = a[k]));
    fromSnapshots.forEach((i, k) => (out[i] = b[k]));
    return out;
  } finally {
    for (const lease of leases) lease?.release();
  }
}

/**
 * Where the rows of a per-record at-risk computation come from, for the cut-offs given:
 * failures (tenant, integration, record_key, failure text as FAILURE, `k`) and syncs
 * (record_key, t, `k`), and which rows belong to cut-off i (an expression over `t`, `k`).
 */
interface Sources {
  failed: (scope: string, n: number) => string;
  synced: (scope: string, n: number) => string;
  inCut: (i: number) => string;
}

/**
 * The rollups, bounded by records × months rather than by the tenant's whole history: the
 * months before the cut-off's month from the monthly rollups (record_failed_monthly,
 * migration 070: the last failure as one comparable string with its flow, currency and
 * value; record_synced_monthly, migration 060: the last sync time), the cut-off's own month
 * up to it from record_failures and, for syncs, record_synced_daily (migration 076: the
 * month's whole days before the cut-off's day) and record_events (the cut-off's own day
 * only; nothing to read for a month-start cut-off). `k` is 1 for whole months.
 */
const rollupSources: Sources = {
  failed: (scope, n) => `
                SELECT tenant, integration, record_key, last_failed_at AS t, last_failure AS failure, 1 AS k
                FROM record_failed_monthly
                WHERE ${scope} AND month < toStartOfMonth(${UNTIL})
                UNION ALL
                SELECT tenant, integration, record_key, ts AS t, ${FAILURE} AS failure, 0 AS k
                FROM record_failures
                WHERE ${scope} AND (${range(n, (i) => `(ts >= ${MONTH_OF(i)} AND ts < ${AS_OF(i)})`)})`,
  // The own month splits further: its whole days before the cut-off's day from
  // record_synced_daily, the cut-off's own day up to it raw.
  synced: (scope, n) => `
                SELECT record_key, last_synced_at AS t, 1 AS k
                FROM record_synced_monthly
                WHERE ${scope} AND month < toStartOfMonth(${UNTIL})
                UNION ALL
                SELECT record_key, last_synced_at AS t, 0 AS k
                FROM record_synced_daily
                WHERE ${scope} AND (${range(n, (i) => `(day >= toDate(${MONTH_OF(i)}) AND day < toDate(${AS_OF(i)}))`)})
                UNION ALL
                SELECT record_key, ts AS t, 0 AS k
                FROM record_events
                WHERE ${scope} AND status = 'synced' AND (${range(n, (i) => `(ts >= toStartOfDay(${AS_OF(i)}) AND ts < ${AS_OF(i)})`)})`,
  // Rows of a cut-off: whole months before its month, or its own month up to it.
  inCut: (i) => `if(k = 1, t < ${MONTH_OF(i)}, t >= ${MONTH_OF(i)} AND t < ${AS_OF(i)})`,
};

/**
 * Snapshots (value-at-risk-snapshots.ts): cut-off i's records at risk at the start of its
 * day from `tables[i]`, then that day's failures and syncs up to the cut-off, raw. `k` is
 * the cut-off's index.
 */
const snapshotSources = (tables: readonly string[]): Sources => ({
  failed: (scope, n) =>
    range(
      n,
      (i) => `
                SELECT tenant, integration, record_key, toDateTime64(0, 3, 'UTC') AS t, failure, ${i} AS k
                FROM ${tables[i]}
                WHERE ${scope}
                UNION ALL
                SELECT tenant, integration, record_key, ts AS t, ${FAILURE} AS failure, ${i} AS k
                FROM record_failures
                WHERE ${scope} AND ts >= toStartOfDay(${AS_OF(i)}) AND ts < ${AS_OF(i)}`,
      '\n                UNION ALL',
    ),
  synced: (scope, n) =>
    range(
      n,
      (i) => `
                SELECT record_key, ts AS t, ${i} AS k
                FROM record_events
                WHERE ${scope} AND status = 'synced' AND ts >= toStartOfDay(${AS_OF(i)}) AND ts < ${AS_OF(i)}`,
      '\n                UNION ALL',
    ),
  inCut: (i) => `k = ${i}`,
});

const range = (n: number, part: (i: number) => string, sep = ' OR ') => Array.from({ length: n }, (_, i) => part(i)).join(sep);

/**
 * Per record and cut-off, the records at risk: (p, tenant, integration, record_key,
 * failure, last_failed, last_synced). A record is at risk at a cut-off when its last
 * failure before it is no older than its last sync before it. Each side is grouped by
 * record on its own, the failure side (fewer records, and the only one with text) joined
 * with the sync side on record_key: one UNION ALL of both sides grouped once was slower
 * (every synced record then carried the failure text's state; bench/RESULTS.md).
 */
function atRiskRecordsSql(f: ValueFilter, n: number, sources: Sources): string {
  const scope = and(filterSql(f, null));
  const perCut = (expr: (i: number) => string) => `[${range(n, expr, ', ')}]`;
  return `SELECT n - 1 AS p, tenant, integration, record_key, failure, last_failed, last_synced
            FROM (
              SELECT tenant, integration, record_key, ${perCut((i) => `maxIf(failure, ${sources.inCut(i)})`)} AS last_failure
              FROM (${sources.failed(scope, n)}
              )
              GROUP BY tenant, integration, record_key
            ) AS failed
            LEFT JOIN (
              SELECT record_key, ${perCut((i) => `maxIf(t, ${sources.inCut(i)})`)} AS synced_at
              FROM (${sources.synced(scope, n)}
              )
              GROUP BY record_key
            ) AS synced USING (record_key)
            -- the failure text starts with its time (23 characters); empty: no failure before the
            -- cut-off; a record never synced has no row on the right: an empty array, padded with 1970s
            ARRAY JOIN arrayEnumerate(last_failure) AS n, last_failure AS failure, arrayResize(synced_at, ${n}) AS last_synced
            WHERE failure != '' AND (toDateTime64OrZero(substring(failure, 1, 23), 3, 'UTC') AS last_failed) >= last_synced`;
}

/** Value at risk per cut-off from `sources`; same-millisecond failure and sync settled exactly. */
async function runAtRisk(driver: Driver, f: ValueFilter, asOfs: readonly Date[], sources: Sources): Promise<AtRiskRow[][]> {
  const cuts = asOfs.map((_, i) => i);
  const rows = await driver.query({
    name: 'value.at_risk',
    sql: `SELECT p, integration, flow, currency, tie, tie_tenant, tie_integration, tie_record,
                 count() AS records, toString(sum(${MONEY_SQL('value')})) AS value
          FROM (
            SELECT p, toString(integration) AS integration,
                   splitByChar('\\0', failure) AS parts, parts[-3] AS flow, parts[-2] AS currency, toFloat64(parts[-1]) AS value,
                   last_failed = last_synced AS tie,
                   if(tie, toString(tenant), '') AS tie_tenant,
                   if(tie, toString(integration), '') AS tie_integration,
                   if(tie, parts[-4], '') AS tie_record
            FROM (${atRiskRecordsSql(f, asOfs.length, sources)})
          )
          ${f.flow ? 'WHERE flow = {flow:String}' : ''}
          GROUP BY p, integration, flow, currency, tie, tie_tenant, tie_integration, tie_record`,
    params: { ...filterParams(f), ...cutParams(asOfs) },
    schema: cutRow,
  });
  const clear = rows.filter((r) => !r.tie);
  const ties = rows.filter((r) => r.tie);
  const settled = ties.length ? await settleTies(driver, f, asOfs, ties) : [];
  return cuts.map((i) => mergeRows([...clear, ...settled].filter((r) => r.p === i)));
}

/**
 * Fills a snapshot table (value-at-risk-snapshots.ts) with the records at risk at
 * `dayStart`, for one tenant or all, from the rollups. A record whose last failure and
 * last sync before it share a millisecond is settled by event id in a query; a snapshot
 * with one is not used (rare: its day stays on the rollups).
 */
async function buildSnapshot(driver: Driver, table: string, tenant: string | null, dayStart: Date): Promise<{ rows: number; ties: boolean }> {
  const f: ValueFilter = tenant === null ? {} : { tenant };
  await driver.command(
    `INSERT INTO ${table} SELECT tenant, integration, record_key, failure, last_failed = last_synced FROM (${atRiskRecordsSql(f, 1, rollupSources)})`,
    { ...filterParams(f), ...cutParams([dayStart]) },
  );
  const [held] = await driver.query({
    name: 'value.at_risk_snapshot_rows',
    sql: `SELECT count() AS rows, countIf(tie) AS ties FROM ${table}`,
    schema: z.object({ rows: z.coerce.number(), ties: z.coerce.number() }),
  });
  return { rows: held.rows, ties: held.ties > 0 };
}

/**
 * Records whose last failure and last sync before a cut-off share a millisecond: their
 * latest attempt by (event time, event id) decides, as in a recomputation from raw events.
 * A look-up of those records in record_events (the bloom filter on record_id, migration 075).
 */
async function settleTies(
  driver: Driver,
  f: ValueFilter,
  asOfs: readonly Date[],
  ties: readonly { p: number; tie_tenant: string; tie_integration: string; tie_record: string }[],
): Promise<(AtRiskRow & { p: number })[]> {
  const cuts = asOfs.map((_, i) => i);
  return driver.query({
    name: 'value.at_risk_ties',
    sql: `SELECT p, integration, flow, currency, count() AS records, toString(sum(${MONEY_SQL('value')})) AS value
          FROM (
            SELECT n - 1 AS p, integration, latest.2 AS flow,
                   if(latest.4 = 1, latest.5, '') AS currency, latest.3 AS value
            FROM (
              SELECT tenant, integration, record_id,
                     [${cuts.map((i) => `argMaxIf((status, flow, record_value, has_value, currency), (ts, event_id), ts < ${AS_OF(i)})`).join(', ')}] AS latest_before
              FROM record_events
              WHERE tenant IN {tieTenants:Array(String)} AND record_id IN {tieRecords:Array(String)}
                AND status IN ('synced', 'failed') AND ts < ${UNTIL}
              GROUP BY tenant, integration, record_id
            )
            ARRAY JOIN arrayEnumerate(latest_before) AS n, latest_before AS latest
            WHERE has(arrayZip({tieCuts:Array(UInt32)}, {tieTenants:Array(String)}, {tieIntegrations:Array(String)}, {tieRecords:Array(String)}),
                      (toUInt32(n - 1), toString(tenant), toString(integration), record_id))
              AND latest.1 = 'failed'
          )
          ${f.flow ? 'WHERE flow = {flow:String}' : ''}
          GROUP BY p, integration, flow, currency`,
    params: {
      ...filterParams(f),
      ...cutParams(asOfs),
      tieCuts: ties.map((t) => t.p),
      tieTenants: ties.map((t) => t.tie_tenant),
      tieIntegrations: ties.map((t) => t.tie_integration),
      tieRecords: ties.map((t) => t.tie_record),
    },
    schema: atRiskRow.and(z.object({ p: z.coerce.number() })),
  });
}

/** Exact decimal text of integer millionths. */
function fromMicros(micros: bigint): string {
  const sign = micros < 0n ? '-' : '';
  const abs = micros < 0n ? -micros : micros;
  const fraction = (abs % 1_000_000n).toString().padStart(6, '0').replace(/0+$/, '');
  return `${sign}${abs / 1_000_000n}${fraction ? `.${fraction}` : ''}`;
}

/** One row per (integration, flow, currency), sorted, summing records and money exactly. */
function mergeRows(rows: readonly AtRiskRow[]): AtRiskRow[] {
  const merged = new Map<string, { row: AtRiskRow; micros: bigint }>();
  for (const r of rows) {
    const key = `${r.integration}\u0000${r.flow}\u0000${r.currency}`;
    const m = merged.get(key);
    if (m) {
      m.row.records += r.records;
      m.micros += toMicros(r.value);
    } else merged.set(key, { row: { integration: r.integration, flow: r.flow, currency: r.currency, records: r.records, value: r.value }, micros: toMicros(r.value) });
  }
  return [...merged.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, m]) => ({ ...m.row, value: fromMicros(m.micros) }));
}
