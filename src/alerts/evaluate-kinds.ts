import { formatDuration, formatTime } from '../format/index.js';
import { describeFailure, median, staleness, type FlowCounts, type FlowFacts, type FlowKey } from '../insights/index.js';
import { flowKey, type EvaluationContext } from './evaluate-context.js';
import { groupKey, groupOf, type Group, type Judgement } from './evaluate-observation.js';
import type { ConsecutiveFailedRunsRule, StaleRule, ThresholdRule, VolumeDropRule } from './rules-model.js';
import { percent } from './rules-text.js';

// One judge per window rule kind: a predicate over the insights' flow facts (the facts
// health judges a status from: streak, staleness, disabled, first seen) and counts per
// window, summed (or the worst taken) per group, and whether the condition holds now.

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** Accumulates per-flow figures into the rule's groups, in a stable order. */
function byGroup<T>(rule: { groupBy: ThresholdRule['groupBy'] }, flows: Iterable<FlowKey>, init: () => T, add: (acc: T, flow: FlowKey) => void): { group: Group; acc: T }[] {
  const groups = new Map<string, { group: Group; acc: T }>();
  for (const flow of flows) {
    const group = groupOf(rule, flow);
    const key = groupKey(group);
    let entry = groups.get(key);
    if (!entry) groups.set(key, (entry = { group, acc: init() }));
    add(entry.acc, flow);
  }
  return [...groups.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, e]) => e);
}

/** Failures the rule counts: its category and codes (failures of runs and of records). */
export function matchingFailures(rule: ThresholdRule, c: FlowCounts): number {
  const { category, codes } = rule.match;
  if (codes.length === 0) return category ? c.failures[category] : c.failures.infra + c.failures.endpoint + c.failures.data;
  let n = 0;
  for (const [key, count] of Object.entries(c.failureCodes)) {
    const dot = key.indexOf('.');
    if ((category === undefined || key.slice(0, dot) === category) && codes.includes(key.slice(dot + 1))) n += count;
  }
  return n;
}

/** Failure rate or count over the window; every flow known (or counted) gets an observation. */
export async function judgeThreshold(rule: ThresholdRule, ctx: EvaluationContext): Promise<Judgement[]> {
  const [counts, states] = await Promise.all([ctx.countsOver(rule.windowMs), ctx.flowFacts()]);
  const flows = new Map<string, FlowKey>(states.map((s) => [flowKey(s), s]));
  for (const [key, c] of counts) if (!flows.has(key)) flows.set(key, c);
  const groups = byGroup(rule, flows.values(), () => ({ failures: 0, attempts: 0 }), (acc, flow) => {
    const c = counts.get(flowKey(flow));
    if (!c) return;
    acc.failures += matchingFailures(rule, c);
    acc.attempts += c.runs.total + c.records.synced + c.records.failed;
  });
  const rate = rule.metric === 'failure_rate';
  return groups.map(({ group, acc }) => {
    const value = rate ? (acc.attempts ? acc.failures / acc.attempts : 0) : acc.failures;
    return {
      group,
      active: acc.failures > 0 && acc.attempts >= rule.minSample && value >= rule.threshold,
      value: rate ? Math.round(value * 10_000) / 10_000 : value,
      threshold: rule.threshold,
      vars: {
        window: formatDuration(rule.windowMs),
        count: acc.failures,
        attempts: acc.attempts,
        rate: percent(acc.attempts ? acc.failures / acc.attempts : 0),
        threshold: rate ? percent(rule.threshold) : rule.threshold,
      },
    };
  });
}

/** The latest N ended runs (as of now) all failed: the flow facts' streak, the longest in the group. */
export async function judgeConsecutive(rule: ConsecutiveFailedRunsRule, ctx: EvaluationContext): Promise<Judgement[]> {
  const facts = await ctx.flowFacts();
  const groups = byGroup(rule, facts, () => ({ streak: 0, latest: null as FlowFacts['latestRun'] }), (acc, flow) => {
    const f = flow as FlowFacts;
    if (f.disabled) return;
    if (f.streak > acc.streak) Object.assign(acc, { streak: f.streak, latest: f.latestRun });
  });
  return groups.map(({ group, acc }) => ({
    group,
    active: acc.streak >= rule.runs,
    value: acc.streak,
    threshold: rule.runs,
    vars: { runs: rule.runs, streak: acc.streak, last_error: describeFailure(acc.latest?.failure, 200) },
  }));
}

/** No successful run for more than factor × cadence: the flow facts' staleness with the rule's factor, the worst in the group. */
export async function judgeStale(rule: StaleRule, ctx: EvaluationContext): Promise<Judgement[]> {
  const facts = await ctx.flowFacts();
  type Worst = { ratio: number; sinceMs: number; cadenceMs: number; staleAfterMs: number; stale: boolean; lastSuccessAt: number | null } | null;
  const groups = byGroup(rule, facts, () => ({ worst: null as Worst }), (acc, flow) => {
    const f = flow as FlowFacts;
    const overdue = f.disabled ? null : staleness(f, ctx.now, { factor: rule.factor, minCadenceMs: rule.minCadenceMs });
    if (!overdue) return;
    const ratio = overdue.sinceMs / overdue.staleAfterMs;
    if (!acc.worst || ratio > acc.worst.ratio) acc.worst = { ratio, ...overdue, lastSuccessAt: f.state.lastSuccessAt };
  });
  return groups.map(({ group, acc: { worst } }) => ({
    group,
    active: worst !== null && worst.stale,
    ...(worst ? { value: Math.round(worst.sinceMs / 1000), threshold: Math.round(worst.staleAfterMs / 1000) } : {}),
    vars: worst
      ? {
          since: formatDuration(worst.sinceMs),
          cadence: formatDuration(worst.cadenceMs),
          last_success: worst.lastSuccessAt === null ? 'never' : formatTime(worst.lastSuccessAt),
        }
      : {},
  }));
}

/**
 * Records synced in the last window against the connection's own baseline: the median
 * of the same window on each of the previous `baselineDays` days (same time of day, so
 * a nightly lull is compared with other nights; the median, so one earlier outage does
 * not drag the baseline down). Days before the flow was first seen are left out.
 * Windows of whole hours take their baseline from whole clock hours (the hourly rollup
 * alone, no raw events: at 10M events a raw read costs ~200 ms, and there are 7 of them);
 * the baseline is a median of history, so an offset of under an hour is immaterial.
 */
export async function judgeVolumeDrop(rule: VolumeDropRule, ctx: EvaluationContext): Promise<Judgement[]> {
  const facts = await ctx.flowFacts();
  const anchor = rule.windowMs % HOUR_MS === 0 ? Math.floor(ctx.now / HOUR_MS) * HOUR_MS : ctx.now;
  const days = Array.from({ length: rule.baselineDays }, (_, i) => anchor - (i + 1) * DAY_MS);
  const [current, ...earlier] = await Promise.all([ctx.countsOver(rule.windowMs), ...days.map((end) => ctx.countsBetween(end - rule.windowMs, end))]);
  const groups = byGroup(rule, facts, () => ({ current: 0, baseline: 0, flows: 0 }), (acc, flow) => {
    const key = flowKey(flow);
    if ((flow as FlowFacts).disabled) return;
    const history = days
      .map((end, i) => ({ from: end - rule.windowMs, synced: earlier[i].get(key)?.records.synced ?? 0 }))
      .filter((d) => d.from >= (flow as FlowFacts).state.firstSeenAt)
      .map((d) => d.synced);
    if (history.length === 0) return;
    acc.current += current.get(key)?.records.synced ?? 0;
    acc.baseline += median(history);
    acc.flows++;
  });
  return groups.map(({ group, acc }) => {
    const floor = acc.baseline * (1 - rule.drop);
    return {
      group,
      active: acc.flows > 0 && acc.baseline >= rule.minBaseline && acc.current <= floor,
      value: acc.current,
      threshold: Math.floor(floor),
      vars: {
        window: formatDuration(rule.windowMs),
        count: acc.current,
        baseline: Math.round(acc.baseline),
        drop: percent(acc.baseline > 0 ? Math.max(0, 1 - acc.current / acc.baseline) : 0),
        baseline_days: rule.baselineDays,
      },
    };
  });
}
