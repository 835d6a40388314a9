import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { EventRow } from '../store/index.js';
import type { Observation } from './model.js';
import type { AlertRule } from './rules-model.js';
import { WindowCounters, type EvaluationFigures, type StoredUpTo } from './streaming-counters.js';

/** What the engine tells the streaming path around each window evaluation (periodic or confirming). */
export interface WindowEvaluationObserver {
  /** Before the evaluation reads the store: returns what it will have seen. */
  prepare(): Promise<StoredUpTo>;
  /** After: the figures read and the observations made, to re-seed the counters. */
  evaluated(rules: readonly AlertRule[], figures: EvaluationFigures, observations: readonly Observation[], storedUpTo: StoredUpTo): Promise<void>;
}

export interface StreamingDeps {
  /** The rules in force (hot-reloaded). */
  rules: () => readonly AlertRule[];
  clock: Clock;
  log: Logger;
  /** Evaluates the named window rules against the store now and applies the result (AlertEngine.confirmWindowRules). */
  confirm: (rules: ReadonlySet<string>) => Promise<unknown>;
  /**
   * Puts every row accepted so far into the store (role `all`: the batcher's flush). Absent
   * when rows are counted only once they are stored (the staging drain of role `worker`).
   */
  settle?: () => Promise<void>;
  /** Least time between two confirming evaluations (real time: it paces store reads). */
  minIntervalMs?: number;
}

/**
 * Streaming evaluation of window rules (docs/alerts.md#when-window-rules-fire): rows are
 * counted as they are accepted (or, with several processes, as the lease holder writes
 * what API processes staged); a group that crosses its rule's threshold has that rule
 * evaluated against the store at once, by the same code and with the same hold-downs as
 * the periodic evaluation, which stays the authority and the safety net. So the streaming
 * path never raises an alert the periodic evaluation would not, and the alert state
 * machine keeps either path from notifying twice.
 */
export class StreamingWindows implements WindowEvaluationObserver {
  private readonly counters = new WindowCounters();
  private readonly due = new Set<string>();
  private running: Promise<void> | null = null;
  private lastConfirm = -Infinity;
  private stopped = false;
  /** Rules with a group gone pending, by when its `for` has elapsed (service clock). */
  private readonly followUps = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  /** Confirming evaluations run so far (for tests and /metrics-style diagnostics). */
  confirmations = 0;

  constructor(private readonly deps: StreamingDeps) {}

  /** Counts accepted (or drained) rows; a crossing starts a confirming evaluation. */
  accept(rows: readonly EventRow[]): void {

    const crossed = this.counters.add(this.deps.rules(), rows, this.deps.clock.now());
    if (crossed.size === 0 || this.stopped) return;
    for (const name of crossed) this.due.add(name);
    this.running ??= this.drain().finally(() => (this.running = null));
  }

  /** Resolves once no confirming evaluation is due or running (tests wait on this). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Starts no more evaluations and waits for the one running (at shutdown, before the engine stops). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.due.clear();
    if (this.timer) clearTimeout(this.timer);
    await this.idle();
  }

  async prepare(): Promise<StoredUpTo> {
    const generation = this.counters.mark();
    if (!this.deps.settle) return generation;
    try {
      await this.deps.settle();
      return generation;
    } catch {
      // The store did not take the rows (they stay in the spool): keep counting them.
      return null;
    }
  }

  async evaluated(rules: readonly AlertRule[], figures: EvaluationFigures, observations: readonly Observation[], storedUpTo: StoredUpTo): Promise<void> {
    const turned = await this.counters.seed(rules, figures, observations, storedUpTo);
    // A rule with `for`: the group went pending now; look again when the hold-down has elapsed rather than at the next tick.
    for (const rule of rules) {
      if (!turned.has(rule.name) || rule.forMs <= 0) continue;
      const at = figures.now + rule.forMs;
      if (!(this.followUps.get(rule.name)! <= at)) this.followUps.set(rule.name, at);
    }
    this.armFollowUps();
  }

  /** Starts the evaluations whose hold-down has elapsed by the service clock (the timer calls this; tests on a manual clock too). */
  followUpDue(): void {
    const now = this.deps.clock.now();
    for (const [name, at] of this.followUps) {
      if (at > now) continue;
      this.followUps.delete(name);
      this.due.add(name);
    }
    if (this.due.size > 0 && !this.stopped) this.running ??= this.drain().finally(() => (this.running = null));
    this.armFollowUps();
  }

  private armFollowUps(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.followUps.size === 0 || this.stopped) return;
    const next = Math.min(...this.followUps.values());
    this.timer = setTimeout(() => this.followUpDue(), Math.max(0, next - this.deps.clock.now()));
    this.timer.unref();
  }

  /** (rule, group) counters held. */
  size(): number {
    return this.counters.size();
  }

  private async drain(): Promise<void> {
    while (this.due.size > 0) {
      const wait = this.lastConfirm + (this.deps.minIntervalMs ?? 1_000) - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (this.stopped) return;
      const names = new Set(this.due);
      this.due.clear();
      this.lastConfirm = performance.now();
      this.confirmations++;
      try {
        await this.deps.confirm(names);
      } catch (err) {
        // The periodic evaluation is the safety net: it judges these rules at its next tick.
        this.deps.log.error({ err, rules: [...names] }, 'streaming evaluation of window rules failed; the next periodic evaluation covers them');
      }
    }
  }
}
