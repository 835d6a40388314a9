import { formatMoney, formatTime } from '../format/index.js';
import type { PartnerOutage } from './model.js';

// What an incident says, per audience: operators get figures and what to do about the
// partner; a tenant gets "it is not you, nothing to do, we will tell you" — never another
// tenant's name, never a symptom they cannot act on.

const KNOWN: Record<string, string> = {
  hubspot: 'HubSpot', salesforce: 'Salesforce', quickbooks: 'QuickBooks', xero: 'Xero', netsuite: 'NetSuite',
  zendesk: 'Zendesk', jira: 'Jira', freshdesk: 'Freshdesk', shopify: 'Shopify', stripe: 'Stripe', 'zoho-crm': 'Zoho CRM',
  'microsoft-graph': 'Microsoft Graph', google: 'Google', 'sap-business-one': 'SAP Business One',
};

/** The partner's name as people write it: `hubspot` → HubSpot; an unknown id is capitalised. */
export function partnerName(integration: string): string {
  return KNOWN[integration] ?? integration.replace(/(^|[-_ ])(\w)/g, (_, sep: string, c: string) => `${sep ? ' ' : ''}${c.toUpperCase()}`);
}

/** Placeholder values of a partner_incident rule's texts. */
export function outageVars(o: PartnerOutage, windowText: string): Record<string, string | number> {
  return {
    partner: partnerName(o.integration),
    tenants: o.tenants.length,
    connections: o.connections.length,
    active_connections: o.activeConnections,
    records: o.failedRecords,
    value_at_risk: o.valueAtRisk ? ` (${formatMoney(o.valueAtRisk.amount, o.valueAtRisk.currency)} at risk)` : '',
    window: windowText,
    codes: o.codes.join(', '),
  };
}

/** The notice a tenant reads: since when, not their fault, nothing to do, we will tell them. */
export function tenantNotice(integration: string, since: number): { summary: string; action: string } {
  const partner = partnerName(integration);
  return {
    summary: `${partner}'s API has been failing since ${formatTime(since)} for you and other customers`,
    action: `Nothing to do on your side: your ${partner} syncs retry on their own, and we will tell you when ${partner} recovers.`,
  };
}
