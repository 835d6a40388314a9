import type { Links } from '../links.js';
import type { NotificationMessage } from './model.js';
import { primaryStatusPage, signedLinks, subjectOf, viewAlert } from './view.js';

/** At most this many alerts, and records per alert, are spelled out in a chat message. */
const MAX_ALERTS = 5;
const MAX_RECORDS = 5;

/** A message as chat channels (Slack, Teams) lay it out: a title, paragraphs, facts and links. */
export interface ChatView {
  title: string;
  /** One paragraph per alert (what happened, what to do, records), plain text. */
  paragraphs: string[];
  facts: { title: string; value: string }[];
  links: { title: string; url: string }[];
  /** One line for notifications and previews. */
  fallback: string;
}

/** Builds the chat view of a message from the same alert views as emails and webhooks. */
export function chatView(message: NotificationMessage, links: Links): ChatView {
  const title = subjectOf(message).replace(/^\[syncwatch\] /, '');
  const signed = signedLinks(message);
  const views = message.alerts.map((a) => viewAlert(a, links, signed));
  const paragraphs = views.slice(0, MAX_ALERTS).map((v) => {
    const lines = [v.status === 'resolved' ? `Resolved: ${v.summary}` : v.summary];
    if (v.status !== 'resolved') lines.push(`What to do: ${v.action}`);
    if (v.duration) lines.push(`Lasted ${v.duration}.`);
    if (v.value_at_risk) lines.push(`Value at risk: ${v.value_at_risk.amount} ${v.value_at_risk.currency}`);
    if (v.records_affected !== null) lines.push(`Records failed: ${v.records_affected}; synced since: ${v.records_recovered}`);
    for (const r of v.records.slice(0, MAX_RECORDS)) lines.push(`• ${r.id}: ${r.message}`);
    if (v.records.length > MAX_RECORDS) lines.push(`…and ${v.records.length - MAX_RECORDS} more records`);
    if (v.records_url) lines.push(`All records that still fail: ${v.records_url}`);
    return lines.join('\n');
  });
  if (views.length > MAX_ALERTS) paragraphs.push(`…and ${views.length - MAX_ALERTS} more alerts`);
  if (message.type === 'test') paragraphs.push(`A test notification from syncwatch (message ${message.id}).`);
  const first = views[0];
  const facts = first
    ? [
        { title: 'Tenant', value: message.tenant ?? first.tenant },
        { title: 'Integration', value: first.integration },
        { title: 'Category', value: `${first.category} · ${first.code}` },
        { title: 'Severity', value: first.severity },
      ]
    : [];
  const page = primaryStatusPage(message, links);
  return { title, paragraphs, facts, links: page ? [{ title: 'Status page', url: page }] : [], fallback: title };
}
