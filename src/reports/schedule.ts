import type { ScheduledTask } from 'node-cron';
import { scheduleJob } from '../cron.js';
import { Serial } from '../serial.js';
import type { Leadership } from '../leadership.js';
import { getSubscriptions, type Subscription } from '../alerts/index.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Links } from '../links.js';
import type { Logger } from '../logger.js';
import type { Driver } from '../store/index.js';
import { enqueueValueReport, reportLinks, type ReportOutbox } from './deliver.js';
import { lastFullPeriod } from './period.js';
import { handledTenants, recordSend, type ReportKind, type ReportSend } from './sends.js';
import { buildValueReport, type ReportFigures, type ValueReportModel } from './value-report.js';

const HOUR = 3_600_000;
/** Reports of a period go out at 06:00 UTC the day after it ends (Monday for weeks, the 1st for months). */
export const SEND_DELAY_MS = 6 * HOUR;
/** A worker that was down at send time catches up for this long; after that the period is skipped. */
export const CATCH_UP_MS = 24 * HOUR;
/** When the scheduler looks for due reports: at the top of every hour (UTC). */
export const REPORT_CRON = '0 * * * *';

const KINDS: readonly ReportKind[] = ['weekly', 'monthly'];

/** What the scheduler needs. */
export interface ReportSchedulerDeps {
  driver: Driver;
  config: Pick<Config, 'value' | 'health'>;
  outbox: ReportOutbox;
  links: Links;
  clock: Clock;
  log: Logger;
  /** Reports go out only while this leads (the alerting engine, holding the lease), so one worker sends. */
  leadership?: Leadership;
}

/** One tenant's scheduled report that a `runDue` handled: its recorded send without the message ids and time. */
export type HandledReport = Omit<ReportSend, 'messageIds' | 'handledAt'>;

const activity = (f: ReportFigures, which: 'current' | 'previous') =>
  f.records_moved[which] + f.records_failed[which] + f.records_skipped[which] + f.runs[which].total + f.incidents[which].count;

/**
 * A quiet period is still reported once, saying plainly that nothing happened; a tenant
 * quiet this period and the one before is skipped, so a dormant account is not mailed forever.
 */
const worthSending = (m: ValueReportModel) => !m.empty || activity(m.totals, 'previous') > 0;

/**
 * Sends the scheduled value reports (docs/architecture.md#pages-and-reports): weekly for the previous ISO week and
 * monthly for the previous month, at 06:00 UTC on Monday and on the 1st, to each tenant
 * whose subscription asks for it (`value_report`), through the notification outbox. Each
 * (kind, period, tenant) is recorded in report_sends once handed over, and the message
 * ids derive from it, so neither a second run, a restart nor a crash in between sends a
 * period twice. node-cron checks every hour (so a worker down at 06:00 catches up within
 * {@link CATCH_UP_MS}); `runDue(now)` does the whole job for one instant (tests call it).
 */
export class ReportScheduler {
  private task: ScheduledTask | null = null;
  private readonly serial = new Serial();

  constructor(private readonly deps: ReportSchedulerDeps) {}

  /** Starts the hourly check. */
  start(expression: string = REPORT_CRON): void {
    if (this.task) return;
    this.task = scheduleJob(this.deps.log, 'reports-value', expression, () => this.runDue(), 'value report schedule failed; the next check tries again');
  }

  /** Stops the schedule and waits for a run in progress. */
  async stop(): Promise<void> {
    if (this.task) await this.task.destroy();
    this.task = null;
    await this.serial.run(async () => {});
  }

  /** Sends every report due at `now` and not yet handled; runs one at a time. */
  runDue(now: number = this.deps.clock.now()): Promise<HandledReport[]> {
    return this.serial.run(() => this.handleDue(now));
  }

  private async handleDue(now: number): Promise<HandledReport[]> {
    if (this.deps.leadership && !this.deps.leadership.isLeader) return [];
    const due = KINDS.map((kind) => ({ kind, period: lastFullPeriod(kind === 'weekly' ? 'week' : 'month', now) })).filter(({ period }) => {
      const at = period.to.getTime() + SEND_DELAY_MS;
      return now >= at && now < at + CATCH_UP_MS;
    });
    if (due.length === 0) return [];
    const subscriptions = [...(await getSubscriptions(this.deps.driver)).values()];
    const handled: HandledReport[] = [];
    for (const { kind, period } of due) {
      const wanted = subscriptions.filter((s) => s.valueReport[kind] && (s.emails.length > 0 || s.webhooks.length > 0));
      if (wanted.length === 0) continue;
      const done = await handledTenants(this.deps.driver, kind, period.label);
      for (const sub of wanted) {
        if (done.has(sub.tenant)) continue;
        try {
          handled.push(await this.sendOne(kind, period, sub, now));
        } catch (err) {
          // Not recorded: the next hourly check tries this tenant again.
          this.deps.log.error({ err, tenant: sub.tenant, kind, period: period.label }, 'value report not sent; will retry');
        }
      }
    }
    return handled;
  }

  private async sendOne(kind: ReportKind, period: ReturnType<typeof lastFullPeriod>, sub: Subscription, now: number): Promise<HandledReport> {
    const { driver, config, outbox, links, log } = this.deps;
    const model = await buildValueReport(driver, config, { tenant: sub.tenant, period, now });
    const base = { kind, period: period.label, tenant: sub.tenant };
    if (!worthSending(model)) {
      await recordSend(driver, { ...base, outcome: 'skipped', messageIds: [], targets: 0, handledAt: now });
      log.info(base, 'value report skipped: no activity this period or the one before');
      return { ...base, outcome: 'skipped', targets: 0 };
    }
    // Outbox first, then the record: a crash in between re-plans the same message ids, which the outbox drops.
    const enqueued = await enqueueValueReport(outbox, model, sub, reportLinks(links, model), { key: `${kind}/${period.label}/${sub.tenant}`, now });
    const targets = enqueued.reduce((n, e) => n + e.deliveryIds.length, 0);
    await recordSend(driver, { ...base, outcome: 'sent', messageIds: enqueued.map((e) => e.messageId), targets, handledAt: now });
    log.info({ ...base, targets }, 'value report sent to the outbox');
    return { ...base, outcome: 'sent', targets };
  }
}
