import { formatTime } from '../format/index.js';
import type { HealthSettings } from '../config.js';
import type { Driver } from '../store/index.js';
import { connectionKey as connKey, getFlowFacts, type FlowFacts } from './flow-facts.js';
import { judgeConnection, judgeFacts, type HealthStatus, type Reason } from './health-rules.js';
import { addCounts, emptyCounts, type FlowCounts, type FlowFilter } from './health-stats.js';
import type { TimeRange } from './range.js';

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
  now: number;
}

const isoOrNull = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const maxOrNull = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.max(a, b));
const rate = (c: FlowCounts) => (c.runs.total ? Math.round((c.runs.succeeded / c.runs.total) * 10_000) / 10_000 : null);

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
 * Health per connection and flow (docs/architecture.md#health): the flow facts (counts over
 * the window from the hourly rollup, state from the all-time latest state of each flow and
 * connection) judged by the health rules. The status is always judged as of now; the
 * window bounds only the counts and failure rates.
 */
export async function getHealth(driver: Driver, settings: HealthSettings, q: HealthQuery): Promise<ConnectionHealth[]> {
  const now = q.now;
  const facts = await getFlowFacts(driver, settings, { tenant: q.tenant, integration: q.integration, flow: q.flow, range: q.range, now });
  const flowsOf = new Map<string, FlowFacts[]>(facts.connections.map((c) => [connKey(c), []]));
  for (const f of facts.flows) flowsOf.get(connKey(f))!.push(f);

  const result: ConnectionHealth[] = [];
  for (const connection of facts.connections) {
    const flows = flowsOf.get(connKey(connection))!;
    const flowHealth: FlowHealth[] = flows
      .sort((a, b) => a.flow.localeCompare(b.flow))
      .map((f) => {
        const v = judgeFacts(f, settings, now, q.windowLabel);
        return { flow: f.flow, ...figures(f, v, f.counts, f.state.lastRunAt, f.state.lastSuccessAt, v.cadence.seconds), cadence_source: v.cadence.source };
      });
    const total = flows.reduce((acc, f) => addCounts(acc, f.counts), emptyCounts());
    const cadences = flowHealth.map((f) => f.cadence_seconds).filter((c): c is number => c !== null);
    result.push({
      ...figures(
        connection,
        judgeConnection(connection, flowHealth),
        total,
        flows.reduce<number | null>((m, f) => maxOrNull(m, f.state.lastRunAt), null),
        flows.reduce<number | null>((m, f) => maxOrNull(m, f.state.lastSuccessAt), null),
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
