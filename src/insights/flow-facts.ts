import type { HealthSettings } from '../config.js';
import type { Driver } from '../store/index.js';
import { cadenceOf, type Cadence } from './flow-cadence.js';
import { getConnectionStates, getFlowStates, type ConnectionState, type FlowState, type RecentRun } from './health-state.js';
import { emptyCounts, getFlowCounts, type FlowCounts, type FlowFilter, type FlowKey } from './health-stats.js';
import type { TimeRange } from './range.js';

// The one model of a flow's health: every figure a status, a piece of advice, an alert
// rule or the Datadog health gauge is judged from, computed here once and the same way.
// Health (health-rules.ts) turns the facts into a status and reasons; alert rule kinds
// are predicates over the same facts (src/alerts/evaluate-kinds.ts). Neither recomputes
// a lifecycle merge, a streak or a staleness of its own, so a page and an alert cannot
// disagree about the same flow at the same moment.

/** The latest lifecycle and authorisation events that apply to a connection. */
export type ConnectionEvents = Pick<ConnectionState, 'lifecycle' | 'auth'>;

/** What is known about one flow (tenant, integration, connection, flow) as of `now`. */
export interface FlowFacts extends FlowKey {
  /** The all-time state; `recentRuns` holds only runs ended by `now`. */
  state: FlowState;
  /** Counts over the window asked for (all zero without one). */
  counts: FlowCounts;
  /** Current failures by category over the window (counts.failures). */
  failures: FlowCounts['failures'];
  /** The connection's own lifecycle and auth events merged with its integration's (the later wins). */
  events: ConnectionEvents;
  /** The event that turned the connection off (disabled or uninstalled), if it is off. */
  disabled: { type: string; at: number } | null;
  cadence: Cadence;
  /** How many of the latest ended runs failed in a row. */
  streak: number;
  /** The latest run ended by `now`. */
  latestRun: RecentRun | null;
  /** Staleness counts from here: the last success, else when the flow was first seen. */
  staleSince: number;
}

/** Key of one flow of one connection (the insights' grain). */
export const flowKey = (r: FlowKey) => `${r.tenant}\u0000${r.integration}\u0000${r.connection}\u0000${r.flow}`;
/** Key of one connection. */
export const connectionKey = (r: { tenant: string; integration: string; connection: string }) => `${r.tenant}\u0000${r.integration}\u0000${r.connection}`;

const later = <T extends { at: number } | null>(a: T, b: T): T => (!a ? b : !b ? a : b.at > a.at ? b : a);

/** Events sent without a connection id apply to every connection of the integration; the later wins. */
export function mergeConnection(own: ConnectionEvents | undefined, shared: ConnectionEvents | undefined): ConnectionEvents {
  return { lifecycle: later(own?.lifecycle ?? null, shared?.lifecycle ?? null), auth: later(own?.auth ?? null, shared?.auth ?? null) };
}

/** The lifecycle event that turned the connection off, if its latest one did. */
export function disabledBy(connection: Pick<ConnectionState, 'lifecycle'>): { type: string; at: number } | null {
  const l = connection.lifecycle;
  return !l || l.type === 'integration.enabled' ? null : l;
}

/** The facts of one flow from its state, counts and connection, as of `now`. */
export function flowFacts(input: { state: FlowState; counts: FlowCounts; connection: ConnectionEvents; settings: HealthSettings; now: number }): FlowFacts {
  const { counts, connection, settings, now } = input;
  // A run that ends after `now` has not happened yet as of now (ingest accepts a day of clock skew).
  const recentRuns = input.state.recentRuns.filter((r) => r.endedAt <= now);
  const state = recentRuns.length === input.state.recentRuns.length ? input.state : { ...input.state, recentRuns };
  let streak = 0;
  while (streak < recentRuns.length && recentRuns[streak].outcome === 'failed') streak++;
  return {
    tenant: state.tenant,
    integration: state.integration,
    connection: state.connection,
    flow: state.flow,
    state,
    counts,
    failures: counts.failures,
    events: connection,
    disabled: disabledBy(connection),
    cadence: cadenceOf(settings, state),
    streak,
    latestRun: recentRuns[0] ?? null,
    staleSince: state.lastSuccessAt ?? state.firstSeenAt,
  };
}

/** How overdue a flow is: null while its cadence is unknown (it is never stale for want of one). */
export function staleness(f: FlowFacts, now: number, limits: { factor: number; minCadenceMs: number }): { sinceMs: number; cadenceMs: number; staleAfterMs: number; stale: boolean } | null {
  if (f.cadence.seconds === null) return null;
  const cadenceMs = f.cadence.seconds * 1000;
  const staleAfterMs = limits.factor * Math.max(cadenceMs, limits.minCadenceMs);
  const sinceMs = now - f.staleSince;
  return { sinceMs, cadenceMs, staleAfterMs, stale: sinceMs > staleAfterMs };
}

/** One connection in scope, its events merged as for its flows. */
export interface ConnectionFacts extends ConnectionEvents {
  tenant: string;
  integration: string;
  connection: string;
  disabled: { type: string; at: number } | null;
}

/** The facts of every flow matching the filter, and of the connections in scope. */
export interface FlowFactsReport {
  flows: FlowFacts[];
  /** Every connection with flows and, without a flow filter, every connection seen. */
  connections: ConnectionFacts[];
}

/** What to read facts for: a scope, the moment, and (optionally) the window counts cover. */
export interface FlowFactsQuery extends FlowFilter {
  now: number;
  range?: TimeRange;
}

/**
 * Reads the facts of every flow in scope as of `now` (docs/architecture.md#health): the
 * all-time flow and connection state (one row each), and counts over `range` from the
 * hourly rollup. A flow counted but not yet in flow_state (the two are read a moment
 * apart) still has facts. Lifecycle events sent without a connection id describe the
 * integration's connections, not a connection of their own, when its runs carry ids.
 */
export async function getFlowFacts(driver: Driver, settings: HealthSettings, q: FlowFactsQuery): Promise<FlowFactsReport> {
  const filter: FlowFilter = { tenant: q.tenant, integration: q.integration, flow: q.flow };
  const [states, connectionRows, counts] = await Promise.all([
    getFlowStates(driver, filter),
    getConnectionStates(driver, filter),
    q.range ? getFlowCounts(driver, filter, q.range) : Promise.resolve([]),
  ]);
  const countsByFlow = new Map(counts.map((c) => [flowKey(c), c as FlowCounts]));
  const stateByFlow = new Map(states.map((s) => [flowKey(s), s]));
  for (const c of counts) {
    if (!stateByFlow.has(flowKey(c))) {
      const { tenant, integration, connection, flow } = c;
      stateByFlow.set(flowKey(c), { tenant, integration, connection, flow, firstSeenAt: q.now, lastRunAt: null, lastSuccessAt: null, recentRuns: [], lastRecord: null });
    }
  }
  const byKey = new Map(connectionRows.map((c) => [connectionKey(c), c]));
  const connectionOf = (k: { tenant: string; integration: string; connection: string }): ConnectionFacts => {
    const events = mergeConnection(byKey.get(connectionKey(k)), k.connection ? byKey.get(connectionKey({ ...k, connection: '' })) : undefined);
    return { tenant: k.tenant, integration: k.integration, connection: k.connection, ...events, disabled: disabledBy(events) };
  };

  const connections = new Map<string, ConnectionFacts>();
  const flows: FlowFacts[] = [];
  for (const state of stateByFlow.values()) {
    const key = connectionKey(state);
    if (!connections.has(key)) connections.set(key, connectionOf(state));
    const { lifecycle, auth } = connections.get(key)!;
    flows.push(flowFacts({ state, counts: countsByFlow.get(flowKey(state)) ?? emptyCounts(), connection: { lifecycle, auth }, settings, now: q.now }));
  }
  if (q.flow === undefined) {
    const withFlows = new Set([...connections.values()].map((c) => `${c.tenant}\u0000${c.integration}`));
    for (const c of connectionRows) {
      if (connections.has(connectionKey(c)) || (c.connection === '' && withFlows.has(`${c.tenant}\u0000${c.integration}`))) continue;
      connections.set(connectionKey(c), connectionOf(c));
    }
  }
  return { flows, connections: [...connections.values()] };
}
