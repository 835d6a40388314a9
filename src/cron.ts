import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from './logger.js';

/**
 * A recurring job on node-cron, the way every schedule of syncwatch runs (alert
 * evaluation, time-due routing, value reports): UTC, a run still going when the next is
 * due is skipped (noOverlap), and a failed run is logged, never fatal — the next one
 * tries again. node-cron's own messages go to our log; a skipped run is routine (debug).
 */
export function scheduleJob(log: Logger, name: string, expression: string, job: () => Promise<unknown>, failure: string): ScheduledTask {
  const logger = {
    info: (m: string) => log.debug({ component: 'node-cron' }, m),
    warn: (m: string) => log.debug({ component: 'node-cron' }, m),
    error: (m: string | Error, err?: Error) => log.error({ component: 'node-cron', err: err ?? m }, String(m)),
    debug: (m: string | Error) => log.debug({ component: 'node-cron' }, String(m)),
  };
  return cron.schedule(
    expression,
    async () => {
      try {
        await job();
      } catch (err) {
        log.error({ err, job: name }, failure);
      }
    },
    { name, noOverlap: true, timezone: 'UTC', logger },
  );
}
