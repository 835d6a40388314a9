import { getValueAtRiskTotal, queryFailureExamples } from '../insights/index.js';
import type { EvaluationContext } from './evaluate-context.js';
import type { Group, Judgement } from './evaluate-observation.js';
import type { ThresholdRule } from './rules-model.js';
import { formatMoney } from './rules-text.js';

/** Examples named in an alert (Observation.records). */
const MAX_EXAMPLES = 10;
/**
 * Details cost two small primary-key-range queries per firing group; past this many
 * active groups of one rule in one evaluation the rest go without, so a platform-wide
 * outage cannot turn one evaluation into thousands of queries.
 */
const MAX_DETAILED_GROUPS = 100;

const filterOf = (g: Group) => ({
  ...(g.tenant ? { tenant: g.tenant } : {}),
  ...(g.integration ? { integration: g.integration } : {}),
  ...(g.flow ? { flow: g.flow } : {}),
});

/**
 * The latest failed records of the group that match the rule (business id + message, one
 * per record, newest first), from the failure_stats rollup the failures insight reads.
 */
async function examplesOf(rule: ThresholdRule, group: Group, ctx: EvaluationContext): Promise<{ id: string; message: string }[]> {
  const { category, codes } = rule.match;
  const rows = await queryFailureExamples(
    ctx.driver,
    { ...filterOf(group), ...(category ? { category } : {}), ...(codes.length === 1 ? { code: codes[0] } : {}) },
    { from: new Date(ctx.now - rule.windowMs), to: new Date(ctx.now) },
  );
  const seen = new Set<string>();
  const records: { id: string; message: string }[] = [];
  for (const r of rows.sort((a, b) => b.time.localeCompare(a.time))) {
    if (r.recordId === null || seen.has(r.recordId) || (codes.length > 1 && !codes.includes(r.code))) continue;
    seen.add(r.recordId);
    records.push({ id: r.recordId, message: r.message });
    if (records.length === MAX_EXAMPLES) break;
  }
  return records;
}

const shorten = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** Adds example records and value at risk to the active groups of a threshold rule (those `wanted`, when given). */
export async function addThresholdDetails(rule: ThresholdRule, judged: Judgement[], ctx: EvaluationContext, wanted?: (group: Group) => boolean): Promise<void> {
  const active = judged.filter((j) => j.active && (wanted?.(j.group) ?? true)).slice(0, MAX_DETAILED_GROUPS);
  for (const j of active) {
    const [records, valueAtRisk] = await Promise.all([
      examplesOf(rule, j.group, ctx),
      getValueAtRiskTotal(ctx.driver, filterOf(j.group), new Date(ctx.now), ctx.options.value),
    ]);
    j.records = records;
    j.valueAtRisk = valueAtRisk;
    j.vars.examples = records.map((r) => (r.message ? `${r.id} (${shorten(r.message, 100)})` : r.id)).join(', ');
    j.vars.value_at_risk = valueAtRisk ? formatMoney(valueAtRisk.amount, valueAtRisk.currency) : undefined;
  }
}
