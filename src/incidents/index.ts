// The incidents capability's front door (docs/alerts.md#partner-incidents): detecting one
// partner's outage across tenants, and what it says to each audience. The alerts engine
// turns outages into alerts and inhibits the symptoms they explain.
export type { AffectedConnection, FlowStateView, IncidentPolicy, PartnerOutage } from './model.js';
export { detectPartnerOutages } from './detect.js';
export { outageVars, partnerName, tenantNotice } from './text.js';
