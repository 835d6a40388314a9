import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { getSubscription } from '../alerts/index.js';
import { systemClock, type Clock } from '../clock.js';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';
import { AccessSigner, Links, loadLinkSecret } from '../links.js';
import { createEmailRenderer, createNotifier } from '../notify/index.js';
import { openStore, type Driver } from '../store/index.js';
import { enqueueValueReport, reportLinks } from './deliver.js';
import { resolvePeriod } from './period.js';
import { renderValueReport } from './render.js';
import { buildValueReport } from './value-report.js';

/** `syncwatch report` options, as commander gives them. */
export interface ReportCommandOptions {
  tenant: string;
  period?: string;
  from?: string;
  to?: string;
  format?: string;
  send?: boolean;
  /** Seconds to wait for deliveries with --send. */
  wait?: string;
}

/** Where the command writes. */
export interface CommandIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

const FORMATS = ['json', 'text', 'html'] as const;

/**
 * `syncwatch report --tenant T [--period 2026-10 | --from --to] [--format json|text|html] [--send]`:
 * prints a tenant's value report, or with --send hands it to the notification outbox for
 * the tenant's subscribed emails and webhooks and waits for the deliveries. Returns the
 * exit code (0 ok, 1 not delivered / nobody to send to, 2 bad arguments). With the
 * embedded store the service must not be running on the same data directory (one process
 * per directory): use GET /v1/reports/value instead, or a remote ClickHouse.
 */
export async function runReportCommand(config: Config, opts: ReportCommandOptions, io: CommandIo, deps: { clock?: Clock; driver?: Driver } = {}): Promise<number> {
  const clock = deps.clock ?? systemClock;
  const now = clock.now();
  const format = (opts.format ?? 'json') as (typeof FORMATS)[number];
  if (!FORMATS.includes(format)) return fail(io, `--format: must be one of ${FORMATS.join(', ')}`);
  if (!opts.tenant) return fail(io, '--tenant: is required');
  let period;
  try {
    period = resolvePeriod({ period: opts.period, from: opts.from, to: opts.to }, now);
  } catch (err) {
    if (err instanceof AppError) return fail(io, `--${err.message}`);
    throw err;
  }
  const driver = deps.driver ?? (await openStore(config));
  try {
    const links = new Links(config.publicUrl, new AccessSigner(loadLinkSecret(config.linkSecret, config.dataDir)), clock);
    const model = await buildValueReport(driver, config, { tenant: opts.tenant, period, now });
    if (!opts.send) {
      if (format === 'json') io.out(`${JSON.stringify(model, null, 2)}\n`);
      else {
        const rendered = renderValueReport(model, links, createEmailRenderer(), now);
        io.out(format === 'html' ? rendered.html : `${rendered.text}\n`);
      }
      return 0;
    }
    const sub = await getSubscription(driver, opts.tenant);
    if (sub.emails.length === 0 && sub.webhooks.length === 0) {
      io.err(`syncwatch: tenant "${opts.tenant}" has no subscribed emails or webhooks; nothing sent (PUT /v1/tenants/${opts.tenant}/subscriptions)\n`);
      return 1;
    }
    const log = pino({ level: 'warn' }, pino.destination(2));
    const notifier = createNotifier({ config, driver, clock, log, links, options: { dispatchEveryMs: 0, reportMetrics: false } });
    try {
      const key = `manual/${period.label}/${opts.tenant}/${randomUUID()}`;
      const enqueued = await enqueueValueReport(notifier.outbox, model, sub, reportLinks(links, model), { key, now });
      const ids = new Set(enqueued.flatMap((e) => e.deliveryIds));
      io.out(`enqueued ${model.title} for ${opts.tenant}: ${enqueued.map((e) => `${e.channel} (${e.deliveryIds.length})`).join(', ')}\n`);
      // Only this command's deliveries are in this outbox's memory: nothing else is sent from here.
      // This command runs alone: its dispatcher leads, and sends until done or out of time.
      notifier.dispatcher.start();
      await notifier.dispatcher.untilIdle(Date.now() + Number(opts.wait ?? 120) * 1000);
      const deliveries = (await notifier.outbox.list({ tenant: opts.tenant, limit: 200 })).filter((d) => ids.has(d.id));
      for (const d of deliveries) io.out(`${d.target.channel}: ${d.status}${d.lastError ? ` (${d.lastError})` : ''}\n`);
      return deliveries.length === ids.size && deliveries.every((d) => d.status === 'delivered') ? 0 : 1;
    } finally {
      await notifier.stop();
    }
  } finally {
    if (!deps.driver) await driver.close();
  }
}

function fail(io: CommandIo, message: string): number {
  io.err(`syncwatch: ${message}\n`);
  return 2;
}
