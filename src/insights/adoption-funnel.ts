import { z } from 'zod';
import { toChTime, type Driver } from '../store/index.js';
import type { TimeRange } from './range.js';

/** The adoption funnel, in order: each step and the event that records it. */
export const FUNNEL_STEPS = [
  { step: 'viewed', event: 'integration.viewed' },
  { step: 'install_started', event: 'integration.install_started' },
  { step: 'authorized', event: 'integration.authorized' },
  { step: 'configured', event: 'integration.configured' },
  { step: 'enabled', event: 'integration.enabled' },
  { step: 'first_successful_sync', event: 'run.succeeded' },
] as const;

export type FunnelStepName = (typeof FUNNEL_STEPS)[number]['step'];

/** Lifecycle events that set a connection's state; the latest one (as of `to`) decides churn. */
export const STATE_EVENTS = ['integration.enabled', 'integration.disabled', 'integration.uninstalled'];
export const CHURNED_STATES = ['integration.disabled', 'integration.uninstalled'];

/** Index of the step that counts as "installed". */
export const ENABLED_STEP = 4;

const LAST = FUNNEL_STEPS.length - 1;
// Times are epoch milliseconds (Int64) from here on: integer comparisons and differences
// keep the query cheap to plan and the medians exact. NEVER stands for "not recorded".
const NEVER = 'toInt64(253402300799999)'; // 9999-12-31T23:59:59.999Z
const STEPS = FUNNEL_STEPS.length;

// Per connection, arrays indexed by step (1-based in SQL), not one column per step: on
// the embedded engine planning a query costs more than running it on these small tables,
// and planning time grows with the number of expressions (docs/decisions.md).
// f: the first recorded event of each step before `to`.
const firstTimes = `[${FUNNEL_STEPS.map((_, i) => `min(if(type = {step${i}:String}, ms, ${NEVER}))`).join(', ')}] AS f`;
// r: when each step was reached: its own first event, or the first later step if that came
// earlier (a skipped step is passed when the next recorded one is reached), so r1 <= … <= r6.
const reachTimes = `arrayMap(i -> arrayMin(arraySlice(f, i)), range(1, ${STEPS + 1})) AS r`;
// Counted by cohort: the connections that entered the funnel (reached its first step) in the
// period, each counted at every step it reached by the period's end — so a step never
// counts more connections than the step before, and conversion stays ≤ 100 %.
// p: in the cohort and step reached by `to`; t (steps 2…): and timed (both it and the step
// before recorded, so both inside the period); d: the time from the step before.
const periodFlags = 'arrayMap(x -> r[1] >= {from:Int64} AND r[1] < {to:Int64} AND x < {to:Int64}, r) AS p';
const timedFlags = `arrayMap(i -> p[i] AND f[i - 1] < ${NEVER} AND f[i] < ${NEVER}, range(2, ${STEPS + 1})) AS t`;
const stepTimes = `arrayMap(i -> r[i] - r[i - 1], range(2, ${STEPS + 1})) AS d`;

const count = z.coerce.number();
const funnelRow = z
  .object({
    integration: z.string(),
    reached: z.array(count),
    timed: z.array(count),
    // NaN (no rows) may come back as null or as a string, depending on the server's JSON settings.
    median_ms: z.array(z.unknown()),
    installs_total: count,
    churned: count,
    churned_in_period: count,
  })
  .transform((r) => ({
    integration: r.integration,
    reached: r.reached,
    /** Median ms from the previous step, per step (index 0, the first step, is always null). */
    medianMs: [null, ...r.median_ms.map((m, i) => (r.timed[i] > 0 ? Number(m) : null))],
    installsTotal: r.installs_total,
    churned: r.churned,
    churnedInPeriod: r.churned_in_period,
  }));

/** Funnel and lifecycle figures of one integration, straight from the rollups. */
export type FunnelStats = z.output<typeof funnelRow>;

/**
 * Per integration: of the connections that entered the funnel in the period (the cohort),
 * how many reached each step by its end, median time from the previous step (pairs inside
 * the period only), installs as of `to`, and churn (latest state as of `to`).
 * Reads adoption_lifecycle and adoption_first_success: O(connections), not O(events).
 */
export async function getFunnelStats(driver: Driver, q: { range: TimeRange; integration?: string }): Promise<FunnelStats[]> {
  const where = ["ts < {toTime:DateTime64(3, 'UTC')}"];
  const whereFirst = ["first_success_at < {toTime:DateTime64(3, 'UTC')}"];
  if (q.integration) {
    where.push('integration = {integration:String}');
    whereFirst.push('integration = {integration:String}');
  }
  const stepParams = Object.fromEntries(FUNNEL_STEPS.map((s, i) => [`step${i}`, s.event]));
  return driver.query({
    name: 'adoption.funnel',
    sql: `SELECT integration,
                 sumForEach(p) AS reached,
                 sumForEach(t) AS timed,
                 quantileExactInclusiveIfForEach(0.5)(d, t) AS median_ms,
                 countIf(r[${ENABLED_STEP + 1}] < ${NEVER}) AS installs_total,
                 countIf(is_churned) AS churned,
                 countIf(is_churned AND state_at >= {from:Int64}) AS churned_in_period
          FROM (
            SELECT integration, state IN {churnedStates:Array(String)} AS is_churned, state_at,
                   ${reachTimes}, ${periodFlags}, ${timedFlags}, ${stepTimes}
            FROM (
              SELECT integration, tenant, connection, ${firstTimes},
                     argMaxIf(type, (ms, event_id), type IN {stateEvents:Array(String)}) AS state,
                     maxIf(ms, type IN {stateEvents:Array(String)}) AS state_at
              FROM (
                SELECT integration, tenant, connection, toUnixTimestamp64Milli(ts) AS ms, type, event_id
                FROM adoption_lifecycle WHERE ${where.join(' AND ')}
                UNION ALL
                SELECT integration, tenant, connection, toUnixTimestamp64Milli(first_success_at) AS ms, {step${LAST}:String} AS type, '' AS event_id
                FROM adoption_first_success WHERE ${whereFirst.join(' AND ')}
              )
              GROUP BY integration, tenant, connection
            )
          )
          GROUP BY integration
          ORDER BY integration`,
    params: {
      from: q.range.from.getTime(),
      to: q.range.to.getTime(),
      toTime: toChTime(q.range.to.getTime()),
      integration: q.integration ?? '',
      stateEvents: STATE_EVENTS,
      churnedStates: CHURNED_STATES,
      ...stepParams,
    },
    schema: funnelRow,
  });
}
