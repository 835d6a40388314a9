import { flowKey, type FlowCounts, type FlowFacts, type FlowKey } from '../insights/index.js';
import { toChTime, type EventRow } from '../store/index.js';
import { matchingFailures } from './evaluate-kinds.js';
import { groupKey, groupOf, type Group } from './evaluate-observation.js';
import type { Observation } from './model.js';
import type { AlertRule, ConsecutiveFailedRunsRule, ThresholdRule } from './rules-model.js';

/** The window rules whose condition an arriving event can make true (stale and volume_drop turn true by silence). */
export type StreamedRule = ThresholdRule | ConsecutiveFailedRunsRule;
export const isStreamedRule = (r: AlertRule): r is StreamedRule => r.enabled && (r.kind === 'threshold' || r.kind === 'consecutive_failed_runs');

/** What one evaluation read, for re-seeding: counts per flow by window length, and every flow's facts. */
export interface EvaluationFigures {
  /** The instant evaluated. */
  now: number;
  counts(windowMs: number): Promise<Map<string, FlowKey & FlowCounts>>;
  facts(): Promise<FlowFacts[]>;
}

/** Rows counted before this generation are known to be in the store (null: unknown, keep every delta). */
export type StoredUpTo = number | null;

const ATTEMPTS = new Set(['run.succeeded', 'run.failed', 'record.synced', 'record.failed']);
const FAILED = new Set(['run.failed', 'record.failed']);

/** One (rule, group): the figures the store had at the last evaluation, plus what arrived since. */
interface GroupCount {
  baseFailures: number;
  baseAttempts: number;
  failures: number;
  attempts: number;
  /** Generation of the latest row counted here. */
  touched: number;
  /** What the last evaluation said (the authority): only a group it found clear can cross. */
  active: boolean;
  /** Per flow of the group (consecutive_failed_runs): the seeded streak and failed runs since. */
  streaks?: Map<string, { base: number; since: number; succeeded: boolean }>;
}

/**
 * In-memory counters of the window rules an event can trip (docs/alerts.md#when-window-rules-fire).
 * They only say when to look: a group whose projected figure — the store's figure at the
 * last evaluation plus the rows accepted since — meets the rule while the last evaluation
 * found it clear is a candidate, and the engine then evaluates that rule against the store
 * as the periodic evaluation would. Projections err high (rows leaving the window are not
 * subtracted until the next evaluation re-seeds), so a crossing is not missed for want of a
 * count; a false candidate costs one evaluation of one rule, which re-seeds the counts.
 */
export class WindowCounters {
  private generation = 0;
  private readonly groups = new Map<string, Map<string, GroupCount>>();

  /** Starts a new generation and returns the closed one: rows counted after this are kept by the next seed. */
  mark(): number {
    return this.generation++;
  }

  /** Counts accepted rows; returns the rules with a group that has just become a candidate. */
  add(rules: readonly AlertRule[], rows: readonly EventRow[], now: number): Set<string> {
    const crossed = new Set<string>();
    const streamed = rules.filter(isStreamedRule);
    // Rules deleted or disabled since: their counters go.
    if (this.groups.size > streamed.length) for (const name of [...this.groups.keys()]) if (!streamed.some((r) => r.name === name)) this.groups.delete(name);
    if (streamed.length === 0) return crossed;
    // Per row cost matters here (it runs on every accepted request): store-format times compare as strings.
    const counted = rows.filter((r) => ATTEMPTS.has(r.type));
    let runs: EventRow[] | null = null;
    // Most rules group alike: each row's key is built once per grouping, not once per rule.
    const keysByGrouping = new Map<string, string[]>();
    const keysOf = (rule: StreamedRule, of: EventRow[]) => {
      const id = `${rule.groupBy.join()}${of === counted ? '' : ':runs'}`;
      let keys = keysByGrouping.get(id);
      if (!keys) keysByGrouping.set(id, (keys = of.map(groupKeyOf(rule))));
      return keys;
    };
    for (const rule of streamed) {
      const groups = this.groupsOf(rule.name);
      const touched = new Set<GroupCount>();
      if (rule.kind === 'threshold') {
        const from = toChTime(now - rule.windowMs);
        const keys = keysOf(rule, counted);
        for (let k = 0; k < counted.length; k++) {
          const row = counted[k];
          if (row.ts < from) continue;
          const g = this.entry(groups, keys[k]);
          touched.add(g);
          g.attempts++;
          if (FAILED.has(row.type) && rowMatches(rule, row)) g.failures++;
        }
      } else {
        // Streaks depend on order: runs in event-time order.
        runs ??= counted.filter((r) => r.type.startsWith('run.')).sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
        const keys = keysOf(rule, runs);
        for (let k = 0; k < runs.length; k++) {
          const row = runs[k];
          const g = this.entry(groups, keys[k]);
          touched.add(g);
          const streaks = (g.streaks ??= new Map());
          const flow = flowKey(row);
          const s = streaks.get(flow) ?? { base: 0, since: 0, succeeded: false };
          if (row.type === 'run.failed') s.since++;
          else Object.assign(s, { since: 0, succeeded: true });
          streaks.set(flow, s);
        }
      }
      for (const g of touched) {
        g.touched = this.generation;
        if (!g.active && projectedActive(rule, g)) crossed.add(rule.name);
      }
    }
    return crossed;
  }

  /**
   * Replaces the counts of the rules just evaluated with what the store had (the figures)
   * and what the evaluation concluded (the observations). Rows of generations up to
   * `storedUpTo` were in the store for that read and are dropped; later ones are kept.
   * Returns the rules with a group the evaluation found active and the one before clear.
   */
  async seed(rules: readonly AlertRule[], figures: EvaluationFigures, observations: readonly Observation[], storedUpTo: StoredUpTo): Promise<Set<string>> {
    const turned = new Set<string>();
    const active = new Set(observations.filter((o) => o.active).map((o) => `${o.labels.rule}\u0001${groupKey(o.labels)}`));
    for (const rule of rules.filter(isStreamedRule)) {
      const previous = this.groupsOf(rule.name);
      const next = new Map<string, GroupCount>();
      const keep = (key: string) => {
        const old = previous.get(key);
        const fresh = old && (storedUpTo === null || old.touched > storedUpTo);
        const g: GroupCount = fresh ? { ...old, baseFailures: 0, baseAttempts: 0 } : blank(this.generation);
        g.active = active.has(`${rule.name}\u0001${key}`);
        if (g.active && !old?.active) turned.add(rule.name);
        if (old?.streaks && fresh) g.streaks = new Map([...old.streaks].map(([k, s]) => [k, { ...s, base: 0 }]));
        next.set(key, g);
        return g;
      };
      if (rule.kind === 'threshold') {
        for (const c of (await figures.counts(rule.windowMs)).values()) {
          const key = groupKey(groupOf(rule, c));
          const g = next.get(key) ?? keep(key);
          g.baseFailures += matchingFailures(rule, c);
          g.baseAttempts += c.runs.total + c.records.synced + c.records.failed;
        }
      } else {
        for (const f of await figures.facts()) {
          if (f.disabled || f.streak === 0) continue;
          const g = next.get(groupKey(groupOf(rule, f))) ?? keep(groupKey(groupOf(rule, f)));
          const streaks = (g.streaks ??= new Map());
          const s = streaks.get(flowKey(f)) ?? { base: 0, since: 0, succeeded: false };
          streaks.set(flowKey(f), { ...s, base: f.streak });
        }
      }
      // Groups the store no longer counts keep only what arrived after the read; an active one stays known as active.
      for (const key of previous.keys()) if (!next.has(key)) keep(key);
      for (const [key, g] of next) if (!g.active && g.failures === 0 && g.attempts === 0 && g.baseAttempts === 0 && !g.streaks?.size) next.delete(key);
      this.groups.set(rule.name, next);
    }
    return turned;
  }

  /** (rule, group) entries held, for tests and the memory bound. */
  size(): number {
    let n = 0;
    for (const g of this.groups.values()) n += g.size;
    return n;
  }

  private groupsOf(rule: string): Map<string, GroupCount> {
    let groups = this.groups.get(rule);
    if (!groups) this.groups.set(rule, (groups = new Map()));
    return groups;
  }

  private entry(groups: Map<string, GroupCount>, key: string): GroupCount {
    let g = groups.get(key);
    if (!g) groups.set(key, (g = blank(this.generation)));
    return g;
  }
}

const blank = (generation: number): GroupCount => ({ baseFailures: 0, baseAttempts: 0, failures: 0, attempts: 0, touched: generation, active: false });

/** The rule's group key of a row, built directly (the same string as groupKey(groupOf(rule, row))). */
function groupKeyOf(rule: StreamedRule): (row: Group) => string {
  const [t, i, f] = (['tenant', 'integration', 'flow'] as const).map((d) => rule.groupBy.includes(d));
  return (row) => `${t ? row.tenant : ''}\u0000${i ? row.integration : ''}\u0000${f ? row.flow : ''}`;
}

/** Whether a failed row counts for the rule (its category and codes), as `matchingFailures` counts the store's. */
function rowMatches(rule: ThresholdRule, row: EventRow): boolean {
  const { category, codes } = rule.match;
  if (codes.length === 0) return category ? row.failure_category === category : ['infra', 'endpoint', 'data'].includes(row.failure_category);
  return (category === undefined || row.failure_category === category) && codes.includes(row.failure_code);
}

/** The rule's condition on the projected figures (the same test the judges apply to the store's). */
function projectedActive(rule: StreamedRule, g: GroupCount): boolean {
  if (rule.kind === 'consecutive_failed_runs') {
    let longest = 0;
    for (const s of g.streaks?.values() ?? []) longest = Math.max(longest, s.succeeded ? s.since : s.base + s.since);
    return longest >= rule.runs;
  }
  const failures = g.baseFailures + g.failures;
  const attempts = g.baseAttempts + g.attempts;
  const value = rule.metric === 'failure_rate' ? (attempts ? failures / attempts : 0) : failures;
  return failures > 0 && attempts >= rule.minSample && value >= rule.threshold;
}
