// The words of syncwatch, defined once: failure categories, connection statuses and the
// order every list shows them in, run outcomes, and how each reads to an operator and to
// a tenant. A leaf: it imports nothing, so ingest, insights, alerts, notify and the pages
// can all use it without an import cycle (docs/architecture.md).

/** Who must act on a failure: the sync service (infra), the partner's API (endpoint), the tenant's data. */
export const FAILURE_CATEGORIES = ['infra', 'endpoint', 'data'] as const;
export type FailureCategory = (typeof FAILURE_CATEGORIES)[number];

/** How a failure category reads: operators see the category, tenants see who is at fault. */
export const CATEGORY_LABELS: Record<'operator' | 'tenant', Record<FailureCategory, string>> = {
  operator: { infra: 'Infrastructure', endpoint: 'Endpoint', data: 'Data' },
  tenant: { infra: 'Sync service', endpoint: 'Partner API', data: 'Data' },
};

/** A connection's health. */
export type HealthStatus = 'healthy' | 'degraded' | 'failing' | 'stale' | 'disabled' | 'unknown';

/**
 * Statuses in the order every page, report and email lists them: what needs someone
 * first (failing, stale, degraded), then what says nothing yet (unknown), what was
 * switched off on purpose (disabled), and healthy last.
 */
export const HEALTH_STATUSES: readonly HealthStatus[] = ['failing', 'stale', 'degraded', 'unknown', 'disabled', 'healthy'];

/** Position of a status in {@link HEALTH_STATUSES}: sort by it for "worst first". */
export const statusRank = (s: HealthStatus): number => HEALTH_STATUSES.indexOf(s);

/** How a run ended: `partial` ran to the end with some records failed (docs/runs). */
export const RUN_OUTCOMES = ['succeeded', 'partial', 'failed', 'running'] as const;
export type RunOutcome = (typeof RUN_OUTCOMES)[number];

/**
 * Why a health status is what it is: the `code` of a health reason (docs/api/health.md has
 * the table of when each holds). Pages and advice switch on these; the union keeps them honest.
 */
export const HEALTH_REASON_CODES = [
  'disabled',
  'uninstalled',
  'consecutive_failed_runs',
  'endpoint_failure',
  'auth_expired',
  'record_failure_rate_high',
  'no_recent_success',
  'late',
  'record_failure_rate',
  'data_failures',
  'latest_run_failed',
  'no_data',
] as const;
export type HealthReasonCode = (typeof HEALTH_REASON_CODES)[number];
