import { FAILURE_CATEGORIES, isRetryableCode } from '../ingest/index.js';
import { formatDuration } from '../format/index.js';
import type { Links } from '../links.js';
import type { NotificationMessage, NotifiedAlert, NotifiedRecord } from './model.js';

// What every channel says about a message, computed once here so the email, the webhook
// payload and the Datadog event agree on subject, links and figures. Links in messages
// for a tenant are signed and expire (src/links.ts): the customer opens their status page
// and run reports without an API key; operator messages carry plain links (operators sign in).

/** Whether a message's links are signed: only messages addressed to a tenant carry tenant access. */
export const signedLinks = (message: Pick<NotificationMessage, 'audience'>) => message.audience === 'tenant';

/** One alert as channels present it: snake_case, ISO times, links resolved. */
export interface AlertView {
  fingerprint: string;
  rule: string;
  severity: NotifiedAlert['labels']['severity'];
  category: NotifiedAlert['labels']['category'];
  code: string;
  /** For failure alerts: whether waiting and retrying usually helps failures of this code; null for other alerts. */
  retryable: boolean | null;
  tenant: string;
  integration: string;
  flow: string;
  status: NotifiedAlert['status'];
  summary: string;
  action: string;
  started_at: string;
  resolved_at: string | null;
  value_at_risk: { amount: number; currency: string } | null;
  records: { id: string; message: string; run?: string; run_report_url?: string }[];
  /** Records failed in the rule's window (all of them, where `records` names the first few), how many synced since, and where the full list is. */
  records_affected: number | null;
  records_recovered: number | null;
  records_url: string | null;
  /** How long it lasted, from firing to resolved ("52 minutes"); null while firing. */
  duration: string | null;
  status_page_url: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The view of one alert; `signed` makes its page links signed, expiring tenant links. */
export function viewAlert(alert: NotifiedAlert, links: Links, signed = false): AlertView {
  const { labels } = alert;
  return {
    fingerprint: alert.fingerprint,
    rule: labels.rule,
    severity: labels.severity,
    category: labels.category,
    code: labels.code,
    retryable: (FAILURE_CATEGORIES as readonly string[]).includes(labels.category) ? isRetryableCode(labels.code) : null,
    tenant: labels.tenant,
    integration: labels.integration,
    flow: labels.flow,
    status: alert.status,
    summary: alert.summary,
    action: alert.action,
    started_at: iso(alert.firedAt ?? alert.activeSince),
    resolved_at: alert.resolvedAt === null ? null : iso(alert.resolvedAt),
    value_at_risk: alert.valueAtRisk,
    records: (alert.records as NotifiedRecord[]).map((r) => ({
      id: r.id,
      message: r.message,
      ...(r.run ? { run: r.run, run_report_url: links.runReport(labels.tenant, r.run, { signed }) } : {}),
    })),
    records_affected: alert.figures?.records ?? null,
    records_recovered: alert.figures?.recovered ?? null,
    records_url: alert.figures && labels.tenant ? links.failingRecords(labels.tenant, { signed }) : null,
    duration: alert.resolvedAt === null ? null : formatDuration(alert.resolvedAt - (alert.firedAt ?? alert.activeSince)),
    status_page_url: links.statusPage(labels.tenant, { signed }),
  };
}

const distinct = <T>(xs: T[]) => [...new Set(xs)];
const oneLine = (s: string) => s.replace(/[\r\n]+/g, ' ').trim();

/** Whether a text already names an integration (`zoho-crm` in "Zoho CRM's API…"), so a subject need not repeat it. */
const names = (text: string, integration: string) => {
  const squash = (x: string) => x.toLowerCase().replace(/[^a-z0-9]/g, '');
  return integration !== '' && squash(text).includes(squash(integration));
};

/**
 * Who and where: "acme · salesforce", "40 tenants · salesforce". `forSubject` leaves out an
 * integration every summary already names, so a subject does not say it twice.
 */
export function scopeOf(message: NotificationMessage, forSubject = false): string {
  const tenants = distinct(message.alerts.map((a) => a.labels.tenant).filter((t) => t !== ''));
  const integrations = distinct(message.alerts.map((a) => a.labels.integration));
  const who = tenants.length === 1 ? tenants[0] : tenants.length === 0 ? (message.tenant ?? '') : `${tenants.length} tenants`;
  const named = forSubject && integrations.length === 1 && message.alerts.every((a) => names(a.summary, integrations[0]));
  const where = named ? '' : integrations.length === 1 ? integrations[0] : integrations.length === 0 ? '' : `${integrations.length} integrations`;
  return [who, where].filter(Boolean).join(' · ');
}

/** Who and where of one alert, for an event title: the same rule as scopeOf. */
export function alertScope(alert: Pick<AlertView, 'tenant' | 'integration' | 'summary'>): string {
  return [alert.tenant, names(alert.summary, alert.integration) ? '' : alert.integration].filter(Boolean).join(' · ');
}

/** "acme: " before a summary, or nothing when the summary says it all. */
const prefixed = (scope: string) => (scope ? `${scope}: ` : '');

/** The subject line: tenant, integration and what happened. */
export function subjectOf(message: NotificationMessage): string {
  const first = message.alerts[0];
  const more = message.alerts.length > 1 ? ` (+${message.alerts.length - 1} more)` : '';
  let subject: string;
  switch (message.type) {
    case 'test':
      subject = '[syncwatch] Test notification';
      break;
    case 'alert.digest':
      if (message.audience === 'operator' && typeof message.data?.title === 'string') {
        subject = `[syncwatch] ${message.data.title}`;
        break;
      }
      subject = `[syncwatch] ${message.tenant ?? (scopeOf(message) || 'syncwatch')}: digest of ${message.alerts.length} alert${message.alerts.length === 1 ? '' : 's'}`;
      break;
    case 'alert.resolved':
      subject = `[syncwatch] Resolved: ${prefixed(scopeOf(message, true))}${first?.summary ?? 'alert resolved'}${more}`;
      break;
    case 'alert.updated':
      subject = `[syncwatch] Update: ${prefixed(scopeOf(message, true))}${first?.summary ?? 'alert'}${more}`;
      break;
    case 'alert.firing':
      subject = `[syncwatch] ${prefixed(scopeOf(message, true))}${first?.summary ?? 'alert'}${more}`;
      break;
    default:
      subject = `[syncwatch] ${message.tenant ?? 'report'}: ${String(message.data?.title ?? message.type)}`;
  }
  return oneLine(subject).slice(0, 250);
}

/** The status page a message links to first: its tenant's, or its first alert's tenant's. */
export function primaryStatusPage(message: NotificationMessage, links: Links): string | null {
  const tenant = message.tenant ?? message.alerts[0]?.labels.tenant;
  return tenant ? links.statusPage(tenant, { signed: signedLinks(message) }) : null;
}

/**
 * The webhook body (docs/notify.md#payload): `alerts` always, and `alert` too when the
 * message carries exactly one, so simple receivers need not loop.
 */
export function webhookPayload(message: NotificationMessage, links: Links): Record<string, unknown> {
  const alerts = message.alerts.map((a) => viewAlert(a, links, signedLinks(message)));
  return {
    type: message.type,
    id: message.id,
    created_at: iso(message.createdAt),
    audience: message.audience,
    tenant: message.tenant,
    summary: subjectOf(message).replace(/^\[syncwatch\] /, ''),
    status_page_url: primaryStatusPage(message, links),
    ...(alerts.length === 1 ? { alert: alerts[0] } : {}),
    alerts,
    ...(message.data ? { data: message.data } : {}),
  };
}
