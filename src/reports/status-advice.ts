import type { HealthStatus, Reason } from '../insights/index.js';

// What a customer can do about a connection that is not healthy, in one place. The
// wording follows the default alert actions (src/alerts/rules-text.ts DEFAULT_ACTION), so
// the status page and the alert email that links to it say the same thing; infra and
// stale are rephrased for the customer (the alert texts for those speak to operators).

/** Who can act on a problem, and so what the page tells the customer. */
export type AdviceKind = 'disabled' | 'auth' | 'data' | 'endpoint' | 'infra' | 'stale' | 'unknown';

/** One thing to tell the customer: what kind of problem, and what they can do. */
export interface Advice {
  kind: AdviceKind;
  text: string;
}

/** What advice is chosen from: a connection's (or flow's) health figures. */
export interface AdviceFacts {
  integration: string;
  status: HealthStatus;
  reasons: readonly Reason[];
  failures: { infra: number; endpoint: number; data: number };
  failure_codes: Record<string, number>;
}

const TEXT: Record<AdviceKind, (integration: string, uninstalled: boolean) => string> = {
  disabled: (i, uninstalled) =>
    uninstalled
      ? `This ${i} connection was uninstalled, so nothing syncs. Install it again from your integration settings if you still need it.`
      : `This ${i} connection is turned off, so nothing syncs. Re-enable it in your integration settings to resume syncing.`,
  auth: (i) => `Re-authorise the ${i} connection in the integration settings; nothing syncs until you do.`,
  data: () => 'Fix these records in your system; they sync again on the next run. The records that still fail are listed below with the reason.',
  endpoint: (i) => `Nothing to do on your side: the ${i} API is failing and we are on it; runs retry automatically.`,
  infra: () => 'Nothing to do on your side: our sync service had a problem and we are on it; runs retry automatically.',
  stale: (i) => `Check that the ${i} connection is still enabled and authorised in your integration settings; if it is, nothing else to do — we have been told that it stopped syncing.`,
  unknown: () => 'No runs reported yet: the first sync shows here as soon as it runs.',
};

/** Failure categories as a customer reads them (DESIGN.md §6). */
export const CATEGORY_NAMES: Record<string, string> = { data: 'Data', endpoint: 'Partner API', infra: 'Sync service' };

const STALE_CODES = new Set(['no_recent_success', 'late']);

/**
 * What the customer can do about one connection or flow, most urgent first; empty when it
 * is healthy. Chosen from the reason codes of its status (src/insights/health-rules.ts)
 * and the categories of its failures over the window.
 */
export function adviceFor(f: AdviceFacts): Advice[] {
  if (f.status === 'healthy') return [];
  const make = (kind: AdviceKind): Advice => ({ kind, text: TEXT[kind](f.integration, f.reasons.some((r) => r.code === 'uninstalled')) });
  if (f.status === 'disabled') return [make('disabled')];
  if (f.status === 'unknown') return [make('unknown')];

  const codes = new Set(f.reasons.map((r) => r.code));
  const auth = f.failure_codes['endpoint.auth'] ?? 0;
  const authFailures = auth > 0;
  const otherEndpoint = f.failures.endpoint - auth;
  const kinds: AdviceKind[] = [];
  if (codes.has('auth_expired') || authFailures) kinds.push('auth');
  if (f.failures.data > 0 || codes.has('data_failures')) kinds.push('data');
  if (otherEndpoint > 0 || (codes.has('endpoint_failure') && !authFailures)) kinds.push('endpoint');
  if (f.failures.infra > 0) kinds.push('infra');
  // Staleness is often the effect of the failures above; on its own it is worth checking the connection.
  if (kinds.length === 0) kinds.push(f.status === 'stale' || f.reasons.some((r) => STALE_CODES.has(r.code)) ? 'stale' : 'infra');
  return kinds.map(make);
}
