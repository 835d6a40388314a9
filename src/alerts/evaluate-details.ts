import { queryFailureExamples } from '../insights/failures-sql.js';
import { convertMoney, toMicros } from '../insights/value-model.js';
import { queryAtRisk } from '../insights/value-sql.js';
import type { EvaluationContext } from './evaluate-context.js';
import { groupKey, type Group, type Judgement } from './evaluate-observation.js';
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

/**
 * Value at risk of the group (docs/architecture.md#value: failed records not synced by a later attempt),
 * in its one currency, else converted to the reporting currency, else the largest currency.
 */
async function valueAtRiskOf(group: Group, ctx: EvaluationContext): Promise<{ amount: number; currency: string } | null> {
  const rows = (await queryAtRisk(ctx.driver, filterOf(group), new Date(ctx.now))).filter((r) => r.currency !== '');
  if (rows.length === 0) return null;
  const micros = new Map<string, bigint>();
  for (const r of rows) micros.set(r.currency, (micros.get(r.currency) ?? 0n) + toMicros(r.value));
  if (micros.size > 1 && ctx.options.value) {
    const money = convertMoney(micros, ctx.options.value);
    if (money.unconverted_currencies.length === 0) return { amount: money.total, currency: money.currency };
  }
  const [currency, amount] = [...micros.entries()].sort((a, b) => (b[1] > a[1] ? 1 : b[1] < a[1] ? -1 : 0))[0];
  return { amount: Number(amount) / 1e6, currency };
}

const shorten = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

type Details = { records: { id: string; message: string }[]; valueAtRisk: { amount: number; currency: string } | null };

/**
 * Keeps the details of firing groups between evaluations for `ttlMs`: the state machine
 * needs them only when it notifies, and re-reading them every 30 s for every firing group
 * of a wide outage would cost more than everything else in an evaluation together.
 */
export class DetailsCache {
  private readonly entries = new Map<string, { at: number; details: Details }>();
  constructor(readonly ttlMs = 5 * 60_000) {}

  get(key: string, now: number): Details | undefined {
    const e = this.entries.get(key);
    if (e && now - e.at < this.ttlMs && now >= e.at) return e.details;
    this.entries.delete(key);
    return undefined;
  }

  set(key: string, details: Details, now: number): void {
    if (this.entries.size >= 10_000) for (const [k, e] of this.entries) if (now - e.at >= this.ttlMs) this.entries.delete(k);
    this.entries.set(key, { at: now, details });
  }
}

/** Adds example records and value at risk to the active groups of a threshold rule. */
export async function addThresholdDetails(rule: ThresholdRule, judged: Judgement[], ctx: EvaluationContext): Promise<void> {
  const active = judged.filter((j) => j.active).slice(0, MAX_DETAILED_GROUPS);
  const cache = ctx.options.detailsCache;
  for (const j of active) {
    const key = `${rule.name}\u0000${groupKey(j.group)}`;
    let details = cache?.get(key, ctx.now);
    if (!details) {
      const [records, valueAtRisk] = await Promise.all([examplesOf(rule, j.group, ctx), valueAtRiskOf(j.group, ctx)]);
      details = { records, valueAtRisk };
      cache?.set(key, details, ctx.now);
    }
    const { records, valueAtRisk } = details;
    j.records = records;
    j.valueAtRisk = valueAtRisk;
    j.vars.examples = records.map((r) => (r.message ? `${r.id} (${shorten(r.message, 100)})` : r.id)).join(', ');
    j.vars.value_at_risk = valueAtRisk ? formatMoney(valueAtRisk.amount, valueAtRisk.currency) : undefined;
  }
}
