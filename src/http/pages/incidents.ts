import { listAlerts, type Alert } from '../../alerts/index.js';
import { partnerName, tenantNotice } from '../../incidents/index.js';
import type { Driver } from '../../store/index.js';

const DAY = 86_400_000;

/** A partner incident as a page shows it: operators see the figures, a tenant the notice written for them. */
export interface IncidentBanner {
  id: string;
  partner: string;
  since: number;
  summary: string;
  action: string;
  tenants: number;
  connections: number;
}

/**
 * Partner incidents firing now; for a tenant, only those affecting them, in tenant wording
 * ("failing since 10:02 for you and other customers; nothing to do on your side").
 */
export async function openIncidents(driver: Driver, now: number, tenant?: string): Promise<IncidentBanner[]> {
  const alerts = await listAlerts(driver, { incidents: true, status: 'firing', since: now - DAY, limit: 100 });
  const affecting = (a: Alert) => tenant === undefined || (a.incident?.tenants.includes(tenant) ?? false);
  return alerts.filter(affecting).map((a) => {
    const f = a.incident!;
    const text = tenant === undefined ? { summary: a.summary, action: a.action } : tenantNotice(a.labels.integration, f.since);
    return { id: a.fingerprint, partner: partnerName(a.labels.integration), since: f.since, ...text, tenants: f.tenants.length, connections: f.connections.length };
  });
}

/** A tenant's firing alert that a cause explains: listed on their status page with the cause, never notified on its own. */
export interface HeldBackAlert {
  rule: string;
  summary: string;
  /** The cause in the tenant's words: a partner incident's notice, or the cause's own summary. */
  cause: string;
}

/**
 * The tenant's firing alerts held back by a cause (alerts/inhibit.ts). A partner incident's
 * operator alert speaks of other tenants, so a tenant reads its notice instead.
 */
export async function heldBackAlerts(driver: Driver, now: number, tenant: string): Promise<HeldBackAlert[]> {
  const firing = await listAlerts(driver, { status: 'firing', tenant, since: now - DAY, limit: 100 });
  const incidents = new Map((await listAlerts(driver, { incidents: true, status: 'firing', since: now - DAY, limit: 100 })).map((a) => [a.fingerprint, a]));
  return firing
    .filter((a) => a.inhibitedBy)
    .map((a) => {
      const incident = incidents.get(a.inhibitedBy!.fingerprint);
      const cause = incident?.incident ? tenantNotice(incident.labels.integration, incident.incident.since).summary : a.inhibitedBy!.summary;
      return { rule: a.labels.rule, summary: a.summary, cause };
    });
}
