import { formatTime } from '../format/index.js';
import type { HealthSettings } from '../config.js';
import type { Driver } from '../store/index.js';
import { judgeConnection, judgeFlow, type HealthStatus, type Reason } from './health-rules.js';
import { getConnectionStates, getFlowStates, type ConnectionState, type FlowState } from './health-state.js';
import { addCounts, emptyCounts, getFlowCounts, type FlowCounts, type FlowFilter } from './health-stats.js';
import type { TimeRange } from './window.js';

export type { HealthStatus, Reason } from './health-rules.js';

/** Health figures of one flow or one connection, as the API returns them. */
export interface HealthFigures {
  tenant: string;
  integration: string;
  connection: string | null;
  status: HealthStatus;
  reasons: Reason[];
  runs: FlowCounts['runs'];
  records: FlowCounts['records'];
  failures: FlowCounts['failures'];
  failure_codes: Record<string, number>;
  last_run_at: string | null;
  last_success_at: string | null;
  cadence_seconds: number | null;
  success_rate: number | null;
}

/** One flow's health. */
export interface FlowHealth extends HealthFigures {
  flow: string;
  /** `learning`: runs seen, but not enough yet to infer a cadence (docs/api/health.md). */
  cadence_source: 'configured' | 'inferred' | 'learning' | null;
}

/** One connection's health, with its flows. */
export interface ConnectionHealth extends HealthFigures {
  flows: FlowHealth[];
}

/** What to compute health for. */
export interface HealthQuery extends FlowFilter {
  range: TimeRange;
  /** How the window reads in a sentence ("in the last 24h"). */
  windowLabel: string;
  now?: number;
}

const connKey = (r: { tenant: string; integration: string; connection: string }) => `${r.tenant}\u0000${r.integration}\u0000${r.connection}`;
const flowKey = (r: { tenant: string; integration: string; connection: string; flow: string }) => `${connKey(r)}\u0000${r.flow}`;
const isoOrNull = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const maxOrNull = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.max(a, b));
const rate = (c: FlowCounts) => (c.runs.total ? Math.round((c.runs.succeeded / c.runs.total) * 10_000) / 10_000 : null);
const later = <T extends { at: number } | null>(a: T, b: T): T => (!a ? b : !b ? a : b.at > a.at ? b : a);

function figures(
  key: { tenant: string; integration: string; connection: string },
  verdict: { status: HealthStatus; reasons: Reason[] },
  counts: FlowCounts,
  lastRunAt: number | null,
  lastSuccessAt: number | null,
  cadenceSeconds: number | null,
): HealthFigures {
  return {
    tenant: key.tenant,
    integration: key.integration,
    connection: key.connection || null,
    status: verdict.status,
    reasons: verdict.reasons,
    runs: counts.runs,
    records: counts.records,
    failures: counts.failures,
    failure_codes: counts.failureCodes,
    last_run_at: isoOrNull(lastRunAt),
    last_success_at: isoOrNull(lastSuccessAt),
    cadence_seconds: cadenceSeconds,
    success_rate: rate(counts),
  };
}

/**
 * Health per connection and flow (docs/architecture.md#health): counts over the window from the hourly
 * rollup, status from the all-time latest state of each flow and connection. The status
 * is always judged as of now; the window bounds only the counts and failure rates.
 */
export async function getHealth(driver: Driver, settings: HealthSettings, q: HealthQuery): Promise<ConnectionHealth[]> {
  const now = q.now ?? Date.now();
  const filter: FlowFilter = { tenant: q.tenant, integration: q.integration, flow: q.flow };
  const [states, connections, counts] = await Promise.all([
    getFlowStates(driver, filter),
    getConnectionStates(driver, filter),
    getFlowCounts(driver, filter, q.range),
  ]);

  const countsByFlow = new Map(counts.map((c) => [flowKey(c), c as FlowCounts]));
  const stateByFlow = new Map(states.map((s) => [flowKey(s), s]));
  // A flow counted but not yet in flow_state (the two are read a moment apart) still shows.
  for (const c of counts) {
    if (!stateByFlow.has(flowKey(c))) {
      const { tenant, integration, connection, flow } = c;
      stateByFlow.set(flowKey(c), { tenant, integration, connection, flow, firstSeenAt: now, lastRunAt: null, lastSuccessAt: null, recentRuns: [], lastRecord: null });
    }
  }
  const connByKey = new Map(connections.map((c) => [connKey(c), c]));

  const byConnection = new Map<string, { key: ConnectionState; flows: FlowState[] }>();
  const connectionOf = (k: { tenant: string; integration: string; connection: string }) => {
    const id = connKey(k);
    let entry = byConnection.get(id);
    if (!entry) byConnection.set(id, (entry = { key: { tenant: k.tenant, integration: k.integration, connection: k.connection, lifecycle: null, auth: null }, flows: [] }));
    return entry;
  };
  for (const s of stateByFlow.values()) connectionOf(s).flows.push(s);
  if (q.flow === undefined) {
    const withFlows = new Set([...byConnection.values()].map((e) => `${e.key.tenant}\u0000${e.key.integration}`));
    for (const c of connections) {
      // Lifecycle events sent without a connection id describe the integration's connections,
      // not a connection of their own, when the runs carry ids.
      if (c.connection === '' && withFlows.has(`${c.tenant}\u0000${c.integration}`)) continue;
      connectionOf(c);
    }
  }

  const result: ConnectionHealth[] = [];
  for (const { key, flows } of byConnection.values()) {
    // Events without a connection id apply to every connection of the integration; the later wins.
    const own = connByKey.get(connKey(key));
    const shared = key.connection ? connByKey.get(connKey({ ...key, connection: '' })) : undefined;
    const state = { lifecycle: later(own?.lifecycle ?? null, shared?.lifecycle ?? null), auth: later(own?.auth ?? null, shared?.auth ?? null) };

    const flowHealth: FlowHealth[] = flows
      .sort((a, b) => a.flow.localeCompare(b.flow))
      .map((s) => {
        const c = countsByFlow.get(flowKey(s)) ?? emptyCounts();
        const v = judgeFlow({ state: s, counts: c, connection: state, settings, now, windowLabel: q.windowLabel });
        return { flow: s.flow, ...figures(s, v, c, s.lastRunAt, s.lastSuccessAt, v.cadence.seconds), cadence_source: v.cadence.source };
      });
    const total = flows.reduce((acc, s) => addCounts(acc, countsByFlow.get(flowKey(s)) ?? emptyCounts()), emptyCounts());
    const cadences = flowHealth.map((f) => f.cadence_seconds).filter((c): c is number => c !== null);
    result.push({
      ...figures(
        key,
        judgeConnection(state, flowHealth),
        total,
        flows.reduce<number | null>((m, s) => maxOrNull(m, s.lastRunAt), null),
        flows.reduce<number | null>((m, s) => maxOrNull(m, s.lastSuccessAt), null),
        cadences.length ? Math.min(...cadences) : null,
      ),
      flows: flowHealth,
    });
  }
  return result.sort((a, b) => connKey({ ...a, connection: a.connection ?? '' }).localeCompare(connKey({ ...b, connection: b.connection ?? '' })));
}

/** How a health window reads in a reason ("in the last 24h", or "between … and …"). */
export function describeWindow(q: { from?: string; to?: string; window?: string }, range: TimeRange, defaultHours: number): string {
  if (q.window) return `in the last ${q.window}`;
  if (!q.from && !q.to) return `in the last ${defaultHours}h`;
  return `between ${formatTime(range.from.getTime())} and ${formatTime(range.to.getTime())}`;
}
