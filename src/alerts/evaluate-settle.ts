import { z } from 'zod';
import { toChTime } from '../store/index.js';
import type { FlowFacts } from '../insights/index.js';
import type { EvaluationContext } from './evaluate-context.js';
import { groupKey, groupOf, type Judgement } from './evaluate-observation.js';
import type { ThresholdRule } from './rules-model.js';

// When a failure-count rule on records clears (docs/alerts.md#when-an-alert-resolves). A
// window count stays above zero for a whole window after the last failure, so a data
// alert used to resolve a window plus its hold-down after the cause was fixed (90 minutes
// with the shipped rule). A `clear_on: clean_run` rule clears as soon as the flow has run
// clean since its latest matching failure (a later run of the flow ended successfully),
// or every record that failed in the window has synced since; its resolve_after is then
// a short hold-down against flapping, not a second window.

const row = z.object({
  tenant: z.string(),
  integration: z.string(),
  flow: z.string(),
  last_fail_ms: z.coerce.number(),
  last_fail_run: z.string(),
  records: z.coerce.number(),
  outstanding: z.coerce.number(),
});

/** Per group: when it last failed, in which run, and its failed records (and how many of them are still failing). */
interface Settling {
  lastFailAt: number;
  lastFailRun: string;
  records: number;
  outstanding: number;
}

/**
 * Reads the window's matching failures of the groups that have any (a few flows, a key
 * range each: the events table is ordered by tenant, integration, flow, time), and per
 * failed record whether its latest attempt in the window failed.
 */
async function failuresOf(rule: ThresholdRule, tenants: string[], ctx: EvaluationContext): Promise<z.output<typeof row>[]> {
  const { category, codes } = rule.match;
  return ctx.driver.query({
    name: 'alerts.settle',
    sql: `SELECT tenant, integration, flow,
                 toUnixTimestamp64Milli(max(last_fail)) AS last_fail_ms,
                 argMax(last_fail_run, last_fail) AS last_fail_run,
                 countIf(record_id != '') AS records,
                 countIf(record_id != '' AND last_type = 'record.failed') AS outstanding
          FROM (SELECT tenant, integration, flow, record_id,
                       maxIf(ts, matching) AS last_fail,
                       argMaxIf(run, ts, matching) AS last_fail_run,
                       argMax(type, ts) AS last_type
                FROM (SELECT tenant, integration, flow, record_id, run, type, ts,
                             type IN ('record.failed', 'run.failed')
                               AND ({category:String} = '' OR failure_category = {category:String})
                               AND (empty({codes:Array(String)}) OR has({codes:Array(String)}, failure_code)) AS matching
                      FROM events
                      WHERE tenant IN {tenants:Array(String)} AND ts > {from:DateTime64(3)} AND ts <= {now:DateTime64(3)}
                        AND type IN ('record.failed', 'record.synced', 'run.failed'))
                GROUP BY tenant, integration, flow, record_id
                HAVING countIf(matching) > 0)
          GROUP BY tenant, integration, flow`,
    params: { tenants, category: category ?? '', codes, from: toChTime(ctx.now - rule.windowMs), now: toChTime(ctx.now) },
    schema: row,
  });
}

/**
 * Clears the judged groups of a `clean_run` rule that have run clean or whose records all
 * synced since, and gives every group with failures its figures (records failed in the
 * window, how many of them synced since) for messages that stay current and for the resolve.
 */
export async function settleCleanRuns(rule: ThresholdRule, judged: Judgement[], ctx: EvaluationContext): Promise<void> {
  if (rule.clearOn !== 'clean_run') return;
  const failing = judged.filter((j) => (j.value ?? 0) > 0);
  if (failing.length === 0) return;
  const tenants = [...new Set(failing.map((j) => j.group.tenant))];
  // A rule not grouped by tenant reads every tenant's failures (rare: data alerts are per tenant).
  const [rows, facts] = await Promise.all([failuresOf(rule, tenants.includes('') ? [] : tenants, ctx), ctx.flowFacts()]);
  const byGroup = new Map<string, Settling>();
  for (const r of rows) {
    const key = groupKey(groupOf(rule, r));
    const s = byGroup.get(key) ?? { lastFailAt: -Infinity, lastFailRun: '', records: 0, outstanding: 0 };
    if (r.last_fail_ms > s.lastFailAt) Object.assign(s, { lastFailAt: r.last_fail_ms, lastFailRun: r.last_fail_run });
    s.records += r.records;
    s.outstanding += r.outstanding;
    byGroup.set(key, s);
  }
  const runsOf = new Map<string, FlowFacts['state']['recentRuns']>();
  for (const f of facts) {
    const key = groupKey(groupOf(rule, f));
    runsOf.set(key, [...(runsOf.get(key) ?? []), ...f.state.recentRuns]);
  }
  for (const j of failing) {
    const s = byGroup.get(groupKey(j.group));
    if (!s) continue;
    j.figures = { records: s.records, recovered: s.records - s.outstanding };
    j.vars.records = s.records;
    j.vars.outstanding = s.outstanding;
    const runs = runsOf.get(groupKey(j.group)) ?? [];
    const ranClean = runs.some((r) => r.outcome === 'succeeded' && r.endedAt > s.lastFailAt && r.endedAt <= ctx.now && r.run !== s.lastFailRun);
    const synced = s.records > 0 && s.outstanding === 0;
    if (ranClean || synced) j.active = false;
  }
}
