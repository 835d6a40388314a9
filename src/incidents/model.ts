/** When several tenants' connections to one integration failing at once is a partner incident (from a `partner_incident` rule). */
export interface IncidentPolicy {
  /** Failure codes on the partner's side (category endpoint): unavailable, timeout, rate_limited by default. */
  codes: readonly string[];
  /** How far back a partner failure counts. */
  windowMs: number;
  /** Tenants failing at once that make an incident… */
  minTenants: number;
  /** …or this share of the integration's active connections (with at least two tenants). */
  minShare: number;
  /** A connection with any event this recently is active. */
  activeWindowMs: number;
}

/** One connection the partner is failing for. */
export interface AffectedConnection {
  tenant: string;
  connection: string;
  /** Partner failures (runs and records) in the window. */
  failures: number;
  firstFailureAt: number;
  lastFailureAt: number;
  /** The most frequent failure code, e.g. unavailable. */
  code: string;
}

/** One integration whose API fails for several tenants now: what detection sees at one instant. */
export interface PartnerOutage {
  integration: string;
  /** Earliest partner failure of the affected connections within the window. */
  since: number;
  tenants: string[];
  connections: AffectedConnection[];
  /** Connections of the integration with any event in the active window. */
  activeConnections: number;
  /** Records that failed on the partner's side in the window. */
  failedRecords: number;
  /** Value of those records, in the currency that carries most of it (null when no record has a value). */
  valueAtRisk: { amount: number; currency: string } | null;
  codes: string[];
}

/** What detection reads of a flow's state (the insights' per-flow facts: one row per flow, no events). */
export interface FlowStateView {
  tenant: string;
  integration: string;
  connection: string;
  lastRunAt: number | null;
  /** Newest first, as the flow state keeps them. */
  recentRuns: { endedAt: number; outcome: 'succeeded' | 'failed'; failure: { category: string; code: string } | null }[];
  /** The latest record attempt (status `failed`, `synced`…), without its time. */
  lastRecord: { status: string; failure: { category: string; code: string } | null } | null;
}
