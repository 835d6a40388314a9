import type { Links } from '../links.js';
import { createMessage, messageId, type NotificationMessage, type Target } from '../notify/index.js';
import { viewValueReport, type ReportLinks } from './report-view.js';
import type { ValueReportModel } from './value-report.js';

// A value report leaves through the notification outbox (at-least-once, retries, delivery
// log) as two messages: one for email (the view model the templates render) and one for
// webhooks (the JSON model, `type: "report.value"`, signed like every webhook).

/** Where a tenant's report goes: its subscription's emails and webhooks. */
export interface ReportRecipients {
  emails: readonly string[];
  webhooks: readonly { url: string; secret: string }[];
}

/** What was handed to the outbox. */
export interface EnqueuedReport {
  channel: 'email' | 'webhook';
  messageId: string;
  deliveryIds: string[];
}

/** The part of the outbox reports use: idempotent enqueue (the delivery id derives from message id and target). */
export interface ReportOutbox {
  enqueue(message: NotificationMessage, targets: readonly Target[]): Promise<string[]>;
}

/** The report's links, signed for its tenant: its own page (same period) and the status page. */
export function reportLinks(links: Links, model: Pick<ValueReportModel, 'tenant' | 'period'>): ReportLinks {
  const range = model.period.kind === 'range' ? { from: model.period.from, to: model.period.to } : { period: model.period.label };
  return { report_url: links.valueReport(model.tenant, range), status_page_url: links.statusPage(model.tenant) };
}

/**
 * The two messages of a report. `key` names the send (`weekly/2026-W44/acme`): the same
 * key gives the same message ids, so a report planned twice is delivered once.
 */
export function valueReportMessages(model: ValueReportModel, links: ReportLinks | null, key: string, now: number): { email: NotificationMessage; webhook: NotificationMessage } {
  const id = (channel: string) => messageId(`report.value\n${key}\n${channel}`, 'report');
  const base = { type: 'report.value' as const, alerts: [], audience: 'tenant' as const, tenant: model.tenant, groupKey: `report.value/${model.tenant}/${model.period.label}`, createdAt: now };
  return {
    email: createMessage({ ...base, id: id('email'), data: { ...viewValueReport(model, links) } }),
    webhook: createMessage({ ...base, id: id('webhook'), data: { ...model, links } }),
  };
}

/** Hands a report to the outbox for every recipient; returns what was enqueued (nothing without recipients). */
export async function enqueueValueReport(
  outbox: ReportOutbox,
  model: ValueReportModel,
  recipients: ReportRecipients,
  links: ReportLinks,
  opts: { key: string; now: number },
): Promise<EnqueuedReport[]> {
  const messages = valueReportMessages(model, links, opts.key, opts.now);
  const enqueued: EnqueuedReport[] = [];
  if (recipients.emails.length > 0) {
    const deliveryIds = await outbox.enqueue(messages.email, [{ channel: 'email', to: [...recipients.emails] }]);
    enqueued.push({ channel: 'email', messageId: messages.email.id, deliveryIds });
  }
  if (recipients.webhooks.length > 0) {
    const targets: Target[] = recipients.webhooks.map((w) => ({ channel: 'webhook', url: w.url, secret: w.secret }));
    enqueued.push({ channel: 'webhook', messageId: messages.webhook.id, deliveryIds: await outbox.enqueue(messages.webhook, targets) });
  }
  return enqueued;
}
