import type { ScheduledTask } from 'node-cron';
import { scheduleJob } from '../cron.js';
import type { Logger } from '../logger.js';
import type { AlertEngine } from './engine.js';
import type { AlertsSettings } from './routing-config.js';

/** The alerting schedule of a worker process: evaluation and dispatch ticks. */
export interface AlertScheduler {
  stop(): Promise<void>;
}

/**
 * Runs `engine.tick` on `alerts.evaluate_every` (default every 30 s) and `engine.dispatch`
 * (routing due by time alone; sending is the notifier's dispatcher) on `alerts.dispatch_every`
 * (default every 5 s), as {@link scheduleJob}s.
 * Only processes in role `all` or `worker` start this; the lease inside the engine
 * keeps several workers from acting at once.
 */
export function startAlertScheduler(engine: AlertEngine, settings: Pick<AlertsSettings, 'evaluateCron' | 'dispatchCron'>, log: Logger): AlertScheduler {
  const failure = 'alerting tick failed; will try again at the next one';
  const tasks: ScheduledTask[] = [
    scheduleJob(log, 'alerts-evaluate', settings.evaluateCron, () => engine.tick(), failure),
    scheduleJob(log, 'alerts-route-due', settings.dispatchCron, () => engine.dispatch(), failure),
  ];
  return {
    async stop() {
      for (const t of tasks) await t.destroy();
      await engine.stop();
    },
  };
}
