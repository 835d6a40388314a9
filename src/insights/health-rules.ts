import type { HealthSettings } from '../config.js';
import type { FlowCounts } from './health-stats.js';
import type { ConnectionState, FlowState } from './health-state.js';
import { formatDuration, formatPercent as percent, formatTime } from '../format/index.js';
import type { Cadence } from './flow-cadence.js';
import { disabledBy, flowFacts, staleness, type FlowFacts } from './flow-facts.js';

/** docs/architecture.md#health statuses (the word list lives in the vocabulary). */
export type { HealthStatus } from '../vocabulary/index.js';
import type { HealthReasonCode, HealthStatus } from '../vocabulary/index.js';

/** Why a status is what it is: a stable machine code and a sentence a person can act on. */
export interface Reason {
  code: HealthReasonCode;
  message: string;
  /** The flow the reason comes from, on a connection's reasons. */
  flow?: string;
  /** The failure the reason is about (a failed run or record), so advice can name who can act. */
  failure?: { category: string; code: string };
}

/** Worst first; `disabled` always wins, `unknown` loses to anything known. */
const SEVERITY: Record<HealthStatus, number> = { disabled: 5, failing: 4, stale: 3, degraded: 2, healthy: 1, unknown: 0 };

/** The worse of two statuses. */
export const worse = (a: HealthStatus, b: HealthStatus): HealthStatus => (SEVERITY[b] > SEVERITY[a] ? b : a);

/** flow_state keeps the 20 latest runs, so "the last N runs failed" can look that far back. */
export const MAX_CONSECUTIVE_RUNS = 20;

/** Times in reasons: "2026-11-22 12:00 UTC", never a raw ISO string inside a sentence. */
const iso = (ms: number) => formatTime(ms);
/** A failure in a sentence ("endpoint · rate_limited: 429 Too Many Requests"), its message cut to `maxMessage` characters. */
export const describeFailure = (f: { category: string; code: string; message: string } | null | undefined, maxMessage = Infinity) =>
  f ? `${f.category} · ${f.code}${f.message ? `: ${f.message.slice(0, maxMessage)}` : ''}` : 'no error given';

/** What the status of one flow is judged from (the flow facts are derived from it). */
export interface HealthInput {
  state: FlowState;
  counts: FlowCounts;
  connection: Pick<ConnectionState, 'lifecycle' | 'auth'>;
  settings: HealthSettings;
  now: number;
  /** How the window reads in a sentence, e.g. "in the last 24h". */
  windowLabel: string;
}

/** The status of a connection from its latest lifecycle event alone: disabled or not. */
export function disabledReason(connection: Pick<ConnectionState, 'lifecycle'>): Reason | null {
  const l = disabledBy(connection);
  if (!l) return null;
  return l.type === 'integration.uninstalled'
    ? { code: 'uninstalled', message: `the connection was uninstalled at ${iso(l.at)}` }
    : { code: 'disabled', message: `the connection was disabled at ${iso(l.at)}` };
}

/** An authorisation that expired and was not refreshed or re-authorised since. */
export function authReason(connection: Pick<ConnectionState, 'auth'>): Reason | null {
  const a = connection.auth;
  if (a?.type !== 'auth.expired') return null;
  return { code: 'auth_expired', message: `the connection's authorisation expired at ${iso(a.at)}; it must be re-authorised` };
}

/** Applies docs/architecture.md#health to one flow: its status and every reason that holds. */
export function judgeFlow(input: HealthInput): { status: HealthStatus; reasons: Reason[]; cadence: Cadence } {
  return judgeFacts(flowFacts(input), input.settings, input.now, input.windowLabel);
}

/** Applies docs/architecture.md#health to one flow's facts: its status and every reason that holds. */
export function judgeFacts(f: FlowFacts, settings: HealthSettings, now: number, windowLabel: string): { status: HealthStatus; reasons: Reason[]; cadence: Cadence } {
  const { state, counts, cadence } = f;
  const disabled = disabledReason(f.events);
  if (disabled) return { status: 'disabled', reasons: [disabled], cadence };

  const found: { status: HealthStatus; reason: Reason }[] = [];
  const add = (status: HealthStatus, code: HealthReasonCode, message: string, failure?: { category: string; code: string } | null) =>
    found.push({ status, reason: failure ? { code, message, failure: { category: failure.category, code: failure.code } } : { code, message } });
  const latest = f.latestRun ?? undefined;
  const streak = f.streak;

  // failing
  const n = Math.min(settings.consecutive_failed_runs, MAX_CONSECUTIVE_RUNS);
  const consecutive = streak >= n;
  if (consecutive) add('failing', 'consecutive_failed_runs', `last ${streak} runs failed`, latest!.failure);
  const endpointRun = latest?.outcome === 'failed' && latest.failure?.category === 'endpoint';
  const endpointRecord = state.lastRecord?.status === 'failed' && state.lastRecord.failure?.category === 'endpoint';
  if (endpointRun) add('failing', 'endpoint_failure', `the latest run failed with an endpoint error (${describeFailure(latest.failure)})`, latest.failure);
  else if (endpointRecord) add('failing', 'endpoint_failure', `the latest record failed with an endpoint error (${describeFailure(state.lastRecord!.failure)})`, state.lastRecord!.failure);
  const auth = authReason(f.events);
  if (auth) add('failing', auth.code, auth.message);
  const attempts = counts.records.synced + counts.records.failed;
  const failureRate = attempts > 0 ? counts.records.failed / attempts : 0;
  const rateText = `${percent(failureRate)} of record attempts failed ${windowLabel} (${counts.records.failed} of ${attempts})`;
  if (attempts > 0 && failureRate >= settings.failing_failure_rate) add('failing', 'record_failure_rate_high', rateText);

  // stale and late: only judged when the cadence is known
  const overdue = staleness(f, now, { factor: settings.stale_factor, minCadenceMs: settings.min_cadence_seconds * 1000 });
  if (overdue) {
    const cadenceMs = overdue.cadenceMs;
    const every = `runs are expected every ${formatDuration(cadenceMs)}`;
    if (overdue.stale) {
      const what = state.lastSuccessAt === null ? 'no successful run yet, in' : 'no successful run for';
      add('stale', 'no_recent_success', `${what} ${formatDuration(overdue.sinceMs)}; ${every}`);
    }
    if (state.lastRunAt !== null && now - state.lastRunAt > settings.late_factor * cadenceMs) {
      add('degraded', 'late', `no run for ${formatDuration(now - state.lastRunAt)}; ${every}`);
    }
  }

  // degraded
  if (attempts > 0 && failureRate >= settings.degraded_failure_rate && failureRate < settings.failing_failure_rate) {
    add('degraded', 'record_failure_rate', rateText);
  }
  if (counts.failures.data > 0) {
    add('degraded', 'data_failures', `${counts.failures.data} data failure${counts.failures.data === 1 ? '' : 's'} ${windowLabel} (records the tenant can fix: validation, mapping, conflicts)`);
  }
  if (latest?.outcome === 'failed' && !consecutive && !endpointRun) {
    add('degraded', 'latest_run_failed', `the latest run failed (${describeFailure(latest.failure)})`, latest.failure);
  }

  const status = found.reduce<HealthStatus>((s, r) => worse(s, r.status), 'healthy');
  return { status, reasons: found.sort((a, b) => SEVERITY[b.status] - SEVERITY[a.status]).map((r) => r.reason), cadence };
}

/**
 * A connection's status is the worst of its flows' (disabled wins); its reasons are
 * those of the flows at that status, named by flow. With no flows it is `unknown`,
 * unless it is disabled or its authorisation expired.
 */
export function judgeConnection(
  connection: Pick<ConnectionState, 'lifecycle' | 'auth'>,
  flows: readonly { flow: string; status: HealthStatus; reasons: Reason[] }[],
): { status: HealthStatus; reasons: Reason[] } {
  const disabled = disabledReason(connection);
  if (disabled) return { status: 'disabled', reasons: [disabled] };
  const auth = authReason(connection);
  if (flows.length === 0) {
    if (auth) return { status: 'failing', reasons: [auth] };
    return { status: 'unknown', reasons: [{ code: 'no_data', message: 'no runs or records reported yet' }] };
  }
  const status = flows.reduce<HealthStatus>((s, f) => worse(s, f.status), 'unknown');
  const reasons: Reason[] = [];
  if (auth && status === 'failing') reasons.push(auth);
  for (const f of flows) {
    if (f.status !== status) continue;
    for (const r of f.reasons) if (r.code !== 'auth_expired') reasons.push({ ...r, message: `${f.flow}: ${r.message}`, flow: f.flow });
  }
  return { status, reasons };
}
