import type { Driver } from '../store/index.js';
import { EvaluationContext, type EvaluateOptions } from './evaluate-context.js';
import { addThresholdDetails } from './evaluate-details.js';
import { judgeConsecutive, judgeStale, judgeThreshold, judgeVolumeDrop } from './evaluate-kinds.js';
import { settleCleanRuns } from './evaluate-settle.js';
import { toObservation, type Group, type Judgement } from './evaluate-observation.js';
import type { Observation } from './model.js';
import type { AlertRule, WindowRule } from './rules-model.js';

export type { EvaluateOptions } from './evaluate-context.js';

/** Rules evaluated on the schedule against the store (every kind but `event`). */
export const isWindowRule = (rule: AlertRule): rule is WindowRule => rule.kind !== 'event' && rule.kind !== 'partner_incident';

/** Which active groups of a rule need their details (examples, value at risk) read: all, unless said. */
export type DetailsWanted = (rule: WindowRule, group: Group) => boolean;

async function judge(rule: WindowRule, ctx: EvaluationContext, wanted?: DetailsWanted): Promise<Judgement[]> {
  switch (rule.kind) {
    case 'threshold': {
      const judged = await judgeThreshold(rule, ctx);
      await settleCleanRuns(rule, judged, ctx);
      await addThresholdDetails(rule, judged, ctx, wanted && ((group) => wanted(rule, group)));
      return judged;
    }
    case 'consecutive_failed_runs':
      return judgeConsecutive(rule, ctx);
    case 'stale':
      return judgeStale(rule, ctx);
    case 'volume_drop':
      return judgeVolumeDrop(rule, ctx);
  }
}

/**
 * Evaluates the enabled window rules as of `now`: one Observation per (rule, group) of
 * every flow the store knows, active or not, so an alert whose condition cleared sees it
 * clear. Reads the insights' rollups and per-flow state (each read once per evaluation),
 * never a scan of raw events beyond two edge hours per window. A failed query rejects:
 * an evaluation that could not read the store must not look like "all clear".
 */
export async function evaluateWindowRules(driver: Driver, rules: readonly AlertRule[], now: number, options: EvaluateOptions = {}): Promise<Observation[]> {
  return evaluateWindowRulesIn(new EvaluationContext(driver, now, options), rules);
}

/**
 * The same, in a context the caller keeps: what it read re-seeds the streaming counters
 * (streaming.ts). `wanted` limits the per-group detail reads (a confirming evaluation
 * applies only groups whose alert is not already firing).
 */
export async function evaluateWindowRulesIn(ctx: EvaluationContext, rules: readonly AlertRule[], wanted?: DetailsWanted): Promise<Observation[]> {
  const observations: Observation[] = [];
  for (const rule of rules) {
    if (!rule.enabled || !isWindowRule(rule)) continue;
    for (const j of await judge(rule, ctx, wanted)) observations.push(toObservation(rule, j));
  }
  return observations;
}
