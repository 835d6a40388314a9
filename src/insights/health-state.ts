import { z } from 'zod';
import { fromChTime, type Driver } from '../store/index.js';
import { and, flowParams, flowWhere, type FlowFilter, type FlowKey } from './health-stats.js';

/** One ended run as flow_state keeps it (the 20 most recent per flow). */
export interface RecentRun {
  endedAt: number;
  run: string;
  outcome: 'succeeded' | 'failed';
  failure: { category: string; code: string; message: string } | null;
}

/** The all-time state of one flow: what the status rules read. */
export interface FlowState extends FlowKey {
  firstSeenAt: number;
  lastRunAt: number | null;
  lastSuccessAt: number | null;
  /** Newest first; at most one entry per run. */
  recentRuns: RecentRun[];
  /** The outcome of the latest record attempt, if any. */
  lastRecord: { status: string; failure: { category: string; code: string; message: string } | null } | null;
}

/** The latest lifecycle and authorisation events of one connection. */
export interface ConnectionState {
  tenant: string;
  integration: string;
  connection: string;
  /** Latest of integration.enabled / disabled / uninstalled. */
  lifecycle: { type: string; at: number } | null;
  /** Latest of auth.expired / auth.refreshed / integration.authorized. */
  auth: { type: string; at: number } | null;
}

const time = z.string().transform((s) => Date.parse(fromChTime(s)));
const failureOf = (category: string, code: string, message: string) => (category ? { category, code, message } : null);

const flowRow = z
  .object({
    tenant: z.string(),
    integration: z.string(),
    connection: z.string(),
    flow: z.string(),
    first_seen_at: time,
    last_run_at: time.nullable(),
    last_success_at: time.nullable(),
    recent_runs: z.array(z.tuple([z.coerce.number(), z.string(), z.string(), z.string(), z.string(), z.string()])),
    last_record: z.tuple([z.string(), z.string(), z.string(), z.string()]),
  })
  .transform((r): FlowState => {
    const seen = new Set<string>();
    const recentRuns: RecentRun[] = [];
    // A run reported ended twice (an event and a span, say) counts once: its latest end.
    for (const [negMs, run, outcome, category, code, message] of r.recent_runs) {
      if (seen.has(run)) continue;
      seen.add(run);
      recentRuns.push({ endedAt: -negMs, run, outcome: outcome === 'failed' ? 'failed' : 'succeeded', failure: failureOf(category, code, message) });
    }
    const [status, category, code, message] = r.last_record;
    return {
      tenant: r.tenant,
      integration: r.integration,
      connection: r.connection,
      flow: r.flow,
      firstSeenAt: r.first_seen_at,
      lastRunAt: r.last_run_at,
      lastSuccessAt: r.last_success_at,
      recentRuns,
      lastRecord: status ? { status, failure: failureOf(category, code, message) } : null,
    };
  });

/** The all-time state of every flow matching the filter (one row per flow, merged at read time). */
export async function getFlowStates(driver: Driver, filter: FlowFilter): Promise<FlowState[]> {
  return driver.query({
    name: 'health.flow_state',
    sql: `SELECT tenant, integration, connection, flow,
                 min(first_seen_at) AS first_seen_at,
                 max(last_run_at) AS last_run_at,
                 max(last_success_at) AS last_success_at,
                 groupArraySortedIfMerge(20)(recent_runs) AS recent_runs,
                 argMaxIfMerge(last_record) AS last_record
          FROM flow_state
          WHERE ${and(flowWhere(filter))}
          GROUP BY tenant, integration, connection, flow`,
    params: flowParams(filter),
    schema: flowRow,
  });
}

const eventRef = z
  .tuple([z.string(), z.string()])
  .transform(([type, at]) => (type ? { type, at: Date.parse(fromChTime(at)) } : null));

const connectionRow = z
  .object({ tenant: z.string(), integration: z.string(), connection: z.string(), lifecycle: eventRef, auth: eventRef })
  .transform((r): ConnectionState => r);

/** The latest lifecycle and auth events of every connection matching the filter (flow is ignored). */
export async function getConnectionStates(driver: Driver, filter: FlowFilter): Promise<ConnectionState[]> {
  const scope = { tenant: filter.tenant, integration: filter.integration };
  return driver.query({
    name: 'health.connection_state',
    sql: `SELECT tenant, integration, connection,
                 argMaxIfMerge(lifecycle) AS lifecycle,
                 argMaxIfMerge(auth) AS auth
          FROM connection_state
          WHERE ${and(flowWhere(scope))}
          GROUP BY tenant, integration, connection`,
    params: flowParams(scope),
    schema: connectionRow,
  });
}
