import type { HealthStatus, Reason } from '../insights/index.js';

// What a customer can do about a connection that is not healthy, from one model: the
// reasons that drive its status (for a connection, those of the flows at its status,
// each naming its flow) and, for a reason about a failure rate, the failures of that flow.
// A failure in a flow that does not drive the status (two timeouts in a healthy flow)
// gives no advice. The wording follows the default alert actions (src/alerts/rules-text.ts
// DEFAULT_ACTION), so the status page and the alert email that links to it agree; infra
// and stale are rephrased for the customer (the alert texts for those speak to operators).

/** Who can act on a problem, and so what the page tells the customer. */
export type AdviceKind = 'disabled' | 'auth' | 'data' | 'endpoint' | 'infra' | 'stale' | 'unknown';

/** One thing to tell the customer: what kind of problem, what they can do, and which flows it is about. */
export interface Advice {
  kind: AdviceKind;
  text: string;
  /** The flows whose status this advice is about (empty: the connection as a whole). */
  flows: string[];
}

type Failures = { infra: number; endpoint: number; data: number };

/** A flow's failure counts over the window (for reasons about a failure rate). */
export interface FlowFailures {
  flow: string;
  failures: Failures;
  failure_codes: Record<string, number>;
}

/** What advice is chosen from: a connection's (or one flow's) health figures. */
export interface AdviceFacts {
  integration: string;
  status: HealthStatus;
  /** The reasons of the status; on a connection each names its flow. */
  reasons: readonly Reason[];
  /** Failure counts of the connection or flow itself (used when a reason names no flow). */
  failures: Failures;
  failure_codes: Record<string, number>;
  /** A connection's flows, to find the failures of the flow a reason names. */
  flows?: readonly FlowFailures[];
}

/** Kinds the customer can act on; the others are ours or the partner's to fix. */
const CUSTOMER_ACTS = new Set<AdviceKind>(['disabled', 'auth', 'data', 'stale']);

const TEXT: Record<AdviceKind, (integration: string, o: { uninstalled: boolean; alsoActing: boolean }) => string> = {
  disabled: (i, o) =>
    o.uninstalled
      ? `This ${i} connection was uninstalled, so nothing syncs. Install it again from your integration settings if you still need it.`
      : `This ${i} connection is turned off, so nothing syncs. Re-enable it in your integration settings to resume syncing.`,
  auth: (i) => `Re-authorise the ${i} connection in the integration settings; nothing syncs until you do.`,
  data: () => 'Fix these records in your system; they sync again on the next run. The records that still fail are listed below with the reason.',
  // Beside something the customer must do, these say what we do — never "nothing to do".
  endpoint: (i, o) =>
    o.alsoActing ? `The ${i} API is also failing; we are on it and runs retry automatically.` : `Nothing to do on your side: the ${i} API is failing and we are on it; runs retry automatically.`,
  infra: (_i, o) =>
    o.alsoActing
      ? 'Our sync service also had a problem; we are on it and runs retry automatically.'
      : 'Nothing to do on your side: our sync service had a problem and we are on it; runs retry automatically.',
  stale: (i) => `Check that the ${i} connection is still enabled and authorised in your integration settings; if it is, nothing else to do — we have been told that it stopped syncing.`,
  unknown: () => 'No runs reported yet: the first sync shows here as soon as it runs.',
};


/** Who can act on one failure: an endpoint auth failure is the customer's to re-authorise. */
function kindOfFailure(category: string, code: string): AdviceKind {
  if (category === 'endpoint' && code === 'auth') return 'auth';
  if (category === 'data') return 'data';
  if (category === 'endpoint') return 'endpoint';
  return 'infra';
}

/** The kinds a window's failures call for (a failure-rate reason): every category that failed. */
function kindsOfCounts(f: { failures: Failures; failure_codes: Record<string, number> }): AdviceKind[] {
  const auth = f.failure_codes['endpoint.auth'] ?? 0;
  const kinds: AdviceKind[] = [];
  if (auth > 0) kinds.push('auth');
  if (f.failures.data > 0) kinds.push('data');
  if (f.failures.endpoint - auth > 0) kinds.push('endpoint');
  if (f.failures.infra > 0) kinds.push('infra');
  return kinds;
}

/** The advice kinds one reason calls for. */
function kindsOf(r: Reason, facts: AdviceFacts): AdviceKind[] {
  switch (r.code) {
    case 'disabled':
    case 'uninstalled':
      return ['disabled'];
    case 'no_data':
      return ['unknown'];
    case 'auth_expired':
      return ['auth'];
    case 'data_failures':
      return ['data'];
    case 'no_recent_success':
    case 'late':
      return ['stale'];
    case 'record_failure_rate':
    case 'record_failure_rate_high': {
      const flow = r.flow === undefined ? facts : (facts.flows?.find((f) => f.flow === r.flow) ?? facts);
      return kindsOfCounts(flow);
    }
    default:
      // endpoint_failure, latest_run_failed, consecutive_failed_runs: the failure they are about.
      return r.failure ? [kindOfFailure(r.failure.category, r.failure.code)] : r.code === 'endpoint_failure' ? ['endpoint'] : ['infra'];
  }
}

/** Does this advice ask the customer to do something? */
export const customerActs = (advice: readonly Advice[]): boolean => advice.some((a) => CUSTOMER_ACTS.has(a.kind));

const ORDER: AdviceKind[] = ['disabled', 'auth', 'data', 'stale', 'endpoint', 'infra', 'unknown'];

/**
 * What the customer can do about one connection or flow, most urgent first; empty when it
 * is healthy. One entry per kind, naming the flows it is about. Staleness that comes with
 * failures the customer can fix (or that we are fixing) is their effect, not a separate
 * thing to check. `pageHasActions`: another connection on the same page asks the customer
 * to act, so this one must not say "nothing to do".
 */
export function adviceFor(f: AdviceFacts, page: { pageHasActions?: boolean } = {}): Advice[] {
  if (f.status === 'healthy') return [];
  const byKind = new Map<AdviceKind, Set<string>>();
  for (const r of f.reasons) {
    for (const kind of kindsOf(r, f)) {
      let flows = byKind.get(kind);
      if (!flows) byKind.set(kind, (flows = new Set()));
      if (r.flow !== undefined) flows.add(r.flow);
    }
  }
  if (byKind.size > 1) byKind.delete('stale');
  if (byKind.size === 0) byKind.set(f.status === 'unknown' ? 'unknown' : f.status === 'stale' ? 'stale' : 'infra', new Set());
  const kinds = ORDER.filter((k) => byKind.has(k));
  const alsoActing = page.pageHasActions === true || kinds.some((k) => CUSTOMER_ACTS.has(k));
  const uninstalled = f.reasons.some((r) => r.code === 'uninstalled');
  return kinds.map((kind) => ({ kind, text: TEXT[kind](f.integration, { uninstalled, alsoActing }), flows: [...byKind.get(kind)!].sort() }));
}
