import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from '../logger.js';
import type { AlertEngine } from './engine.js';
import type { AlertsSettings } from './routing-config.js';

/** The alerting schedule of a worker process: evaluation and dispatch ticks. */
export interface AlertScheduler {
  stop(): Promise<void>;
}

/**
 * Runs `engine.tick` on `alerts.evaluate_every` (default every 30 s) and `engine.dispatch`
 * on `alerts.dispatch_every` (default every 5 s) with node-cron; a tick still running
 * when the next is due is skipped (noOverlap), and a failed tick is logged, never fatal.
 * Only processes in role `all` or `worker` start this; the lease inside the engine
 * keeps several workers from acting at once.
 */
export function startAlertScheduler(engine: AlertEngine, settings: Pick<AlertsSettings, 'evaluateCron' | 'dispatchCron'>, log: Logger): AlertScheduler {
  const run = (name: string, fn: () => Promise<unknown>) => async () => {
    try {
      await fn();
    } catch (err) {
      log.error({ err, task: name }, 'alerting tick failed; will try again at the next one');
    }
  };
  // node-cron's own messages go to our log; a tick skipped because the last one still runs is routine (debug).
  const logger = {
    info: (m: string) => log.debug({ component: 'node-cron' }, m),
    warn: (m: string) => log.debug({ component: 'node-cron' }, m),
    error: (m: string | Error, err?: Error) => log.error({ component: 'node-cron', err: err ?? m }, String(m)),
    debug: (m: string | Error) => log.debug({ component: 'node-cron' }, String(m)),
  };
  const tasks: ScheduledTask[] = [
    cron.schedule(settings.evaluateCron, run('evaluate', () => engine.tick()), { name: 'alerts-evaluate', noOverlap: true, logger }),
    cron.schedule(settings.dispatchCron, run('dispatch', () => engine.dispatch()), { name: 'alerts-dispatch', noOverlap: true, logger }),
  ];
  return {
    async stop() {
      for (const t of tasks) await t.destroy();
      await engine.stop();
    },
  };
}
