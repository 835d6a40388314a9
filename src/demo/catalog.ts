// The simulated world of the demo: who uses which integration, and what each flow moves.

/** The kinds of business object the demo's flows move. */
export type RecordKind = 'order' | 'invoice' | 'payment' | 'contact' | 'deal' | 'item';

/** One data flow of an integration, with its schedule and typical run size. */
export interface FlowSpec {
  name: string;
  kind: RecordKind;
  cadenceMinutes: number;
  /** Records a run moves: [min, max]. */
  records: [number, number];
  /** Milliseconds the runner spends per record: [min, max]. */
  msPerRecord: [number, number];
}

/** An integration type and its flows. */
export interface IntegrationSpec {
  id: string;
  /** How the partner's API names itself in error messages. */
  api: string;
  flows: FlowSpec[];
}

/** A tenant of the SaaS vendor and the currencies its records are in (first = most common). */
export interface TenantSpec {
  id: string;
  currencies: string[];
}

/** One installed integration of one tenant. */
export interface ConnectionSpec {
  tenant: string;
  integration: string;
}

const flow = (name: string, kind: RecordKind, cadenceMinutes: number, records: [number, number], msPerRecord: [number, number]): FlowSpec => ({
  name,
  kind,
  cadenceMinutes,
  records,
  msPerRecord,
});

/** The four integrations of the demo, two flows each. */
export const INTEGRATIONS: IntegrationSpec[] = [
  {
    id: 'salesforce',
    api: 'Salesforce REST API',
    flows: [flow('orders.export', 'order', 15, [2, 10], [150, 600]), flow('contacts.import', 'contact', 60, [5, 25], [80, 300])],
  },
  {
    id: 'quickbooks',
    api: 'QuickBooks Online API',
    flows: [flow('invoices.sync', 'invoice', 60, [1, 6], [300, 900]), flow('payments.import', 'payment', 360, [15, 50], [120, 400])],
  },
  {
    id: 'hubspot',
    api: 'HubSpot CRM API',
    flows: [flow('contacts.sync', 'contact', 15, [1, 8], [100, 350]), flow('deals.export', 'deal', 60, [2, 12], [150, 500])],
  },
  {
    id: 'netsuite',
    api: 'NetSuite SuiteTalk',
    flows: [flow('orders.export', 'order', 60, [8, 30], [400, 1200]), flow('inventory.import', 'item', 360, [30, 90], [60, 200])],
  },
];

/** Tenants with connections. */
export const TENANTS: TenantSpec[] = [
  { id: 'acme', currencies: ['USD'] },
  { id: 'globex', currencies: ['EUR', 'USD'] },
  { id: 'initech', currencies: ['USD'] },
  { id: 'umbrella', currencies: ['GBP', 'EUR'] },
  { id: 'hooli', currencies: ['USD', 'EUR', 'GBP'] },
];

/** Tenants that only looked at the marketplace (adoption funnel drop-offs). */
export const PROSPECTS = ['stark', 'wayne', 'wonka'];

/** Connections installed before the simulated window (initech/hubspot is installed during it: see scenarios). */
export const CONNECTIONS: ConnectionSpec[] = [
  { tenant: 'acme', integration: 'salesforce' },
  { tenant: 'acme', integration: 'quickbooks' },
  { tenant: 'acme', integration: 'hubspot' },
  { tenant: 'globex', integration: 'salesforce' },
  { tenant: 'globex', integration: 'hubspot' },
  { tenant: 'globex', integration: 'netsuite' },
  { tenant: 'initech', integration: 'salesforce' },
  { tenant: 'initech', integration: 'quickbooks' },
  { tenant: 'initech', integration: 'netsuite' },
  { tenant: 'umbrella', integration: 'quickbooks' },
  { tenant: 'umbrella', integration: 'netsuite' },
  { tenant: 'hooli', integration: 'hubspot' },
  { tenant: 'hooli', integration: 'netsuite' },
  { tenant: 'hooli', integration: 'quickbooks' },
];

/** The integration spec by id (throws on a typo: the catalog is code). */
export function integrationSpec(id: string): IntegrationSpec {
  const spec = INTEGRATIONS.find((i) => i.id === id);
  if (!spec) throw new Error(`unknown demo integration ${id}`);
  return spec;
}

/** The tenant spec by id. */
export function tenantSpec(id: string): TenantSpec {
  const spec = TENANTS.find((t) => t.id === id);
  if (!spec) throw new Error(`unknown demo tenant ${id}`);
  return spec;
}

// Customers of the tenants: the people and companies their records are about.
export const FIRST_NAMES = ['ada', 'grace', 'alan', 'linus', 'margaret', 'dennis', 'barbara', 'ken', 'frances', 'edsger', 'radia', 'tim', 'katherine', 'guido', 'sophie', 'james'];
export const LAST_NAMES = ['lovelace', 'hopper', 'turing', 'torvalds', 'hamilton', 'ritchie', 'liskov', 'thompson', 'allen', 'dijkstra', 'perlman', 'berners-lee', 'johnson', 'rossum', 'wilson', 'gosling'];
export const CUSTOMER_DOMAINS = ['northwind.com', 'contoso.com', 'fabrikam.io', 'tailspin.dev', 'wideworld.co', 'adventure-works.com', 'litware.net', 'proseware.com'];
export const PRODUCT_FAMILIES = ['Gadgets-EU', 'Legacy Bundles', 'Services-APAC', 'Refurbished'];
