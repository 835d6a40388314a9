import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Ingest } from '../ingest/index.js';
import type { Logger } from '../logger.js';
import { AlertEngine, type AlertDispatcher, type AlertOutbox } from './engine.js';
import { loadAlertsSettings, type AlertsSettings } from './routing-config.js';
import { watchAlertRules } from './rules-watch.js';
import { startAlertScheduler, type AlertScheduler } from './scheduler.js';
import { StreamingWindows } from './streaming.js';
import type { LeaseOptions } from './scheduler-lease.js';
import type { Driver } from '../store/index.js';

/** Test and embedding knobs. */
export interface AlertingOptions {
  /** Run the node-cron schedule (default true); tests drive `engine.tick(now)` instead. */
  schedule?: boolean;
  lease?: Partial<LeaseOptions>;
  /** Streaming evaluation of window rules (default on); `minIntervalMs` paces its confirming evaluations (default 1 s). */
  streaming?: { enabled?: boolean; minIntervalMs?: number };
}

/** The alerting capability of a running process. */
export interface Alerting {
  settings: AlertsSettings;
  /** The engine (null in role `api`, which only forwards event-rule observations). */
  engine: AlertEngine | null;
  /** Streaming evaluation of window rules (null in role `api`, or when turned off). */
  streaming: StreamingWindows | null;
  stop(): Promise<void>;
}

/**
 * Wires alerting into a process: the `alerts` settings and the rules (both validated
 * now: a bad file stops the start), the rules' hot reload, the ingest hook for event
 * rules and, in roles `all` and `worker`, the engine and its schedule.
 */
export async function startAlerting(deps: {
  config: Config;
  driver: Driver;
  ingest: Ingest;
  outbox: AlertOutbox;
  dispatcher: AlertDispatcher;
  clock: Clock;
  log: Logger;
  options?: AlertingOptions;
}): Promise<Alerting> {
  const { config, driver, ingest, clock, log } = deps;
  const settings = loadAlertsSettings(config);
  const watcher = watchAlertRules(
    config.alertRulesDir,
    (rules) => log.info({ rules: rules.length }, 'alert rules reloaded'),
    (err) => log.error({ err: err.message }, 'alert rules not reloaded: the last good rules stay in force'),
  );

  if (config.role === 'api') {
    // No engine here: what this process accepts is staged, and the worker holding the lease
    // judges event rules on it as its drain writes it (below), within a drain interval.
    return { settings, engine: null, streaming: null, stop: async () => watcher.close() };
  }

  const streamingOptions = deps.options?.streaming;
  const streaming: StreamingWindows | null =
    streamingOptions?.enabled === false
      ? null
      : new StreamingWindows({
          rules: () => watcher.rules,
          clock,
          log,
          confirm: (names): Promise<unknown> => engine.confirmWindowRules(names),
          // Role `all` counts rows at acceptance and flushes them before it looks; a worker counts what its drain wrote.
          settle: config.role === 'worker' ? undefined : () => ingest.batcher.flush(),
          minIntervalMs: streamingOptions?.minIntervalMs,
        });
  const engine: AlertEngine = new AlertEngine({ driver, config, settings, clock, log, rules: () => watcher.rules, outbox: deps.outbox, dispatcher: deps.dispatcher, lease: deps.options?.lease, cluster: config.clickhouse.cluster !== undefined, windows: streaming ?? undefined });
  // In the background: a first claim waits a moment for a concurrent one (see Lease); the start need not.
  engine.start().catch((err) => log.error({ err }, 'could not take the alerting lease at start; the next tick tries again'));
  ingest.onAccepted((rows) => engine.onEvents(rows));
  if (config.role === 'worker') {
    // Events staged by api processes reach event rules and the counters when the lease holder's drain writes them.
    ingest.onDrained((rows) => engine.onEvents(rows));
    if (streaming) ingest.onDrained((rows) => streaming.accept(rows));
  } else if (streaming) ingest.onAccepted((rows) => streaming.accept(rows));
  const scheduler: AlertScheduler | null = deps.options?.schedule === false ? null : startAlertScheduler(engine, settings, log);
  return {
    settings,
    engine,
    streaming,
    async stop() {
      watcher.close();
      await streaming?.stop();
      if (scheduler) await scheduler.stop();
      else await engine.stop();
    },
  };
}
