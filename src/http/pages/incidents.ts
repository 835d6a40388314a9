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
