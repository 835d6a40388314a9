import type { Clock } from '../clock.js';
import { Serial } from '../serial.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { NotificationMessage, Target } from '../notify/index.js';
import type { Driver, EventRow } from '../store/index.js';
import { InboxReader, postToInbox } from './engine-inbox.js';
import { evaluateWindowRulesIn, isWindowRule, type DetailsWanted } from './evaluate.js';
import { alertFingerprint } from './evaluate-observation.js';
import { EvaluationContext } from './evaluate-context.js';
import { evaluateEvent } from './event-rules.js';
import { isIncidentRule, observeIncidents } from './incident-alerts.js';
import { applyInhibition } from './inhibit.js';
import type { Alert, Observation } from './model.js';
import type { AlertRule } from './rules-model.js';
import type { AlertsSettings } from './routing-config.js';
import { planNotifications, type NotifyLog } from './routing.js';
import { createLease } from './scheduler-lease-keeper.js';
import type { AlertLease, LeaseOptions } from './scheduler-lease.js';
import { listSilences } from './silences.js';
import { appendHistory, loadAlerts, loadNotifyLog, saveAlerts, saveNotifyLog } from './state-store.js';
import { stepAlerts, type RuleTiming, type StatusChange } from './state.js';
import type { WindowEvaluationObserver } from './streaming.js';
import { getSubscriptions } from './subscriptions.js';

const DAY = 86_400_000;

/** The part of the notifier's outbox the engine uses: idempotent enqueue by message id. */
export interface AlertOutbox {
  enqueue(message: NotificationMessage, targets: readonly Target[]): Promise<unknown>;
}

/** The notifier's one dispatcher: the engine wakes it after queuing, and waits for its pass. */
export interface AlertDispatcher {
  wake(): Promise<void>;
}

export interface AlertEngineDeps {
  driver: Driver;
  config: Pick<Config, 'health' | 'value'>;
  settings: AlertsSettings;
  clock: Clock;
  log: Logger;
  /** The rules in force (hot-reloaded). */
  rules: () => readonly AlertRule[];
  outbox: AlertOutbox;
  dispatcher: AlertDispatcher;
  /** Overrides of the lease (tests shorten the settle wait). */
  lease?: Partial<LeaseOptions>;
  /** The store is a cluster (CLICKHOUSE_CLUSTER): the lease is the KeeperMap one. */
  cluster?: boolean;
  /** Streaming evaluation of window rules (streaming.ts): told of every window evaluation, to re-seed its counters. */
  windows?: WindowEvaluationObserver;
}

/** What one tick did. */
export interface TickSummary {
  leader: boolean;
  observations: number;
  transitions: number;
  messages: number;
}

/**
 * Alert evaluation and notification for one worker (docs/architecture.md#alerts-and-notifications, #data-flow): rules →
 * observations → alert state → routes → outbox, then it wakes the notifier's dispatcher
 * (which sends) and waits for its pass, so one tick's messages are out before the next. Only the lease holder acts;
 * everything it decides is written (state first, then the outbox, then the notify log),
 * and re-read when it takes the lease, so a restart or a hand-over neither re-notifies
 * nor loses a resolve. Time always comes from the injected clock: tests call `tick(now)`.
 */
export class AlertEngine {
  private alerts = new Map<string, Alert>();
  private notifyLog: NotifyLog = new Map();
  private inbox: InboxReader | null = null;
  private readonly lease: AlertLease;
  private readonly serial = new Serial();
  private starting: Promise<void> | null = null;

  constructor(private readonly deps: AlertEngineDeps) {
    const opts = { ttlMs: deps.settings.lease.ttlMs, takeoverDelayMs: deps.settings.lease.takeoverDelayMs, ...deps.lease };
    this.lease = createLease(deps.driver, opts, deps.cluster === true);
  }

  /** Whether this process held the lease at its last check. */
  get isLeader(): boolean {
    return this.lease.isHeld;
  }

  /** Tries for the lease at once, so event rules act from the first request (events wait for this). */
  start(): Promise<void> {
    this.starting ??= this.exclusive(async () => {
      await this.ensureLeader(this.deps.clock.now());
    });
    return this.starting;
  }

  /** One evaluation: window rules and what other processes posted, then routing and dispatch. */
  async tick(now: number = this.deps.clock.now()): Promise<TickSummary> {
    const storedUpTo = await this.deps.windows?.prepare();
    return this.exclusive(async () => {
      if (!(await this.ensureLeader(now))) return { leader: false, observations: 0, transitions: 0, messages: 0 };
      const rules = this.deps.rules();
      const posted = (await this.inbox?.read()) ?? [];
      const evaluated = await this.evaluateWindow(rules, now, storedUpTo);
      evaluated.push(...(await observeIncidents(this.deps.driver, rules, this.alerts, now)));
      // Every rule but the enabled event rules is judged whole here: deleted and disabled rules resolve their alerts.
      const eventRules = new Set(rules.filter((r) => r.enabled && !isWindowRule(r) && !isIncidentRule(r)).map((r) => r.name));
      const covered = new Set([...this.alerts.values()].map((a) => a.labels.rule).filter((r) => !eventRules.has(r)));
      const summary = await this.apply([...posted, ...evaluated], now, covered);
      this.prune(now);
      await this.deps.dispatcher.wake();
      return summary;
    });
  }

  /**
   * The named window rules evaluated now, as a tick evaluates them (the streaming path's
   * confirmation of a crossing). Only true conditions are applied, and only where they change
   * something: a new episode, a pending alert through `for`, a firing one in its resolve
   * hold-down. Clearing stays with the periodic evaluation, and steadily firing alerts keep
   * the details it last read, so a confirmation reads details for the changed groups alone.
   */
  async confirmWindowRules(names: ReadonlySet<string>, now: number = this.deps.clock.now()): Promise<TickSummary> {
    const storedUpTo = await this.deps.windows?.prepare();
    return this.exclusive(async () => {
      if (!(await this.ensureLeader(now))) return { leader: false, observations: 0, transitions: 0, messages: 0 };
      const rules = this.deps.rules().filter((r) => r.enabled && isWindowRule(r) && names.has(r.name));
      // Firing and not in its resolve hold-down: nothing a true condition would change.
      const settled = (fingerprint: string) => this.alerts.get(fingerprint)?.status === 'firing' && this.alerts.get(fingerprint)?.clearSince === null;
      const observations = await this.evaluateWindow(rules, now, storedUpTo, (rule, group) => !settled(alertFingerprint(rule.name, group)));
      const summary = await this.apply(observations.filter((o) => o.active && !settled(o.fingerprint)), now, new Set());
      await this.deps.dispatcher.wake();
      return summary;
    });
  }

  /** Routing that is due by time alone (group waits, quiet hours ending, digests, repeats), then a dispatcher pass. */
  dispatch(now: number = this.deps.clock.now()): Promise<boolean> {
    return this.exclusive(async () => {
      if (!(await this.ensureLeader(now))) return false;
      await this.route([], now);
      await this.deps.dispatcher.wake();
      return true;
    });
  }

  /** Event rules at ingest: applied here when this process leads, else posted to the leader. */
  async onEvents(rows: readonly EventRow[]): Promise<void> {
    const now = this.deps.clock.now();
    const observations = evaluateEvent(this.deps.rules(), rows, now);
    if (observations.length === 0) return;
    await this.starting?.catch(() => {});
    if (!this.lease.isHeld) return postToInbox(this.deps.driver, observations, now);
    await this.exclusive(async () => {
      await this.apply(observations, now, new Set());
      await this.deps.dispatcher.wake();
    });
  }

  /** Gives the lease up so another worker can take over at once. */
  async stop(): Promise<void> {
    await this.exclusive(() => this.lease.release(this.deps.clock.now()));
  }

  /** The alerts in memory (the API reads the store instead; this is for tests and diagnostics). */
  snapshot(): Alert[] {
    return [...this.alerts.values()];
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.serial.run(fn);
  }

  private async ensureLeader(now: number): Promise<boolean> {
    const was = this.lease.isHeld;
    const held = await this.lease.acquire(now);
    if (held && !was) {
      // Newly the leader: another worker may have changed everything since we last looked.
      this.alerts = await loadAlerts(this.deps.driver, now);
      this.notifyLog = await loadNotifyLog(this.deps.driver);
      this.inbox = new InboxReader(this.deps.driver, now - 10 * 60_000);
      this.deps.log.info({ holder: this.lease.holder, alerts: this.alerts.size }, 'took the alerting lease');
    } else if (!held && was) {
      this.deps.log.warn({ holder: this.lease.holder }, 'lost the alerting lease; another worker evaluates now');
    }
    return held;
  }

  private timing = (name: string): RuleTiming => {
    const rule = this.deps.rules().find((r) => r.name === name);
    return rule ? { for: rule.forMs, resolve_after: rule.resolveAfterMs } : { for: 0, resolve_after: 0 };
  };

  /** Window rules judged against the store as of `now`; what was read re-seeds the streaming counters. */
  private async evaluateWindow(rules: readonly AlertRule[], now: number, storedUpTo: number | null | undefined, wanted?: DetailsWanted): Promise<Observation[]> {
    const ctx = new EvaluationContext(this.deps.driver, now, { health: this.deps.config.health, value: this.deps.config.value });
    const observations = await evaluateWindowRulesIn(ctx, rules, wanted);
    const figures = { now, counts: (windowMs: number) => ctx.countsOver(windowMs), facts: () => ctx.flowFacts() };
    await this.deps.windows?.evaluated(rules, figures, observations, storedUpTo ?? null);
    return observations;
  }

  private async apply(observations: Observation[], now: number, covered: ReadonlySet<string>): Promise<TickSummary> {
    const step = stepAlerts(this.alerts, observations, now, this.timing, { covered });
    // State first: if we stop before the outbox has the messages, the next leader sees firing alerts nobody was told about.
    await saveAlerts(this.deps.driver, step.changed, now);
    const messages = await this.route(step.statusChanges, now);
    return { leader: true, observations: observations.length, transitions: step.transitions.length, messages };
  }

  private async route(changes: readonly StatusChange[], now: number): Promise<number> {
    const [subscriptions, silences] = await Promise.all([getSubscriptions(this.deps.driver), listSilences(this.deps.driver, now)]);
    // Causes before symptoms: what an incident or an expired authorisation explains notifies nobody.
    await saveAlerts(this.deps.driver, applyInhibition(this.alerts, this.deps.rules(), this.deps.settings.inhibitRules), now);
    const plan = planNotifications({ alerts: this.alerts.values(), now, settings: this.deps.settings, subscriptions, silences, log: this.notifyLog });
    for (const d of plan.deliveries) await this.deps.outbox.enqueue(d.message, d.targets);
    await saveNotifyLog(this.deps.driver, plan.logUpdates, now);
    for (const e of plan.logUpdates) this.notifyLog.set(e.key, e);
    const notified: Alert[] = [];
    for (const fingerprint of new Set(plan.deliveries.flatMap((d) => d.message.alerts.map((a) => a.fingerprint)))) {
      const a = this.alerts.get(fingerprint);
      if (!a || a.lastNotifiedAt === now) continue;
      const next = { ...a, lastNotifiedAt: now, version: a.version + 1 };
      this.alerts.set(fingerprint, next);
      notified.push(next);
    }
    await saveAlerts(this.deps.driver, notified, now);
    await appendHistory(this.deps.driver, changes, plan.deliveries, now);
    return plan.deliveries.length;
  }

  /** Keeps memory bounded: resolved alerts older than the routing horizon, and their log entries, are dropped. */
  private prune(now: number): void {
    for (const [fp, a] of this.alerts) if (a.status === 'resolved' && (a.resolvedAt ?? 0) < now - 2 * DAY) this.alerts.delete(fp);
    for (const [key, e] of this.notifyLog) if (e.fingerprint !== '' && !this.alerts.has(e.fingerprint)) this.notifyLog.delete(key);
  }
}
