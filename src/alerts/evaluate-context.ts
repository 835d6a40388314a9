import type { HealthSettings, ValueSettings } from '../config.js';
import { disabledReason } from '../insights/health-rules.js';
import { getConnectionStates, getFlowStates, type ConnectionState, type FlowState } from '../insights/health-state.js';
import { getFlowCounts, type FlowCounts, type FlowKey } from '../insights/health-stats.js';
import type { Driver } from '../store/index.js';
import type { DetailsCache } from './evaluate-details.js';

/** Settings window evaluation reads from the config (defaults match config.ts's). */
export interface EvaluateOptions {
  /** Configured cadences for staleness (else inferred from recent runs, as health does). */
  health?: HealthSettings;
  /** Currency conversion for value at risk across currencies. */
  value?: Pick<ValueSettings, 'reporting_currency' | 'rates'>;
  /** Reuse firing groups' examples and value at risk across evaluations (the scheduler keeps one). */
  detailsCache?: DetailsCache;
}

export const DEFAULT_HEALTH: HealthSettings = {
  window_hours: 24,
  degraded_failure_rate: 0.01,
  failing_failure_rate: 0.5,
  consecutive_failed_runs: 3,
  late_factor: 1,
  stale_factor: 2,
  min_cadence_seconds: 300,
  cadence_min_runs: 5,
  cadence_min_span_seconds: 1800,
  cadences: [],
};

/** Key of one flow of one connection (the insights' grain). */
export const flowKey = (r: FlowKey) => `${r.tenant}\u0000${r.integration}\u0000${r.connection}\u0000${r.flow}`;
const connectionKey = (r: { tenant: string; integration: string; connection: string }) => `${r.tenant}\u0000${r.integration}\u0000${r.connection}`;

/**
 * What one evaluation reads, each read at most once however many rules need it: the
 * all-time flow and connection state (one row per flow / connection), and the hourly
 * flow counts per distinct window (rollups plus at most two raw edge hours). Cost grows
 * with the number of flows and distinct windows, not with the number of events.
 */
export class EvaluationContext {
  private states?: Promise<FlowState[]>;
  private connections?: Promise<Map<string, ConnectionState>>;
  private readonly counts = new Map<string, Promise<Map<string, FlowKey & FlowCounts>>>();

  constructor(
    readonly driver: Driver,
    readonly now: number,
    readonly options: EvaluateOptions,
  ) {}

  get health(): HealthSettings {
    return this.options.health ?? DEFAULT_HEALTH;
  }

  /** Every flow ever seen, with its recent runs and last success. */
  flowStates(): Promise<FlowState[]> {
    return (this.states ??= getFlowStates(this.driver, {}));
  }

  /** Counts per flow over [from, to), keyed by flowKey. */
  countsBetween(from: number, to: number): Promise<Map<string, FlowKey & FlowCounts>> {
    const key = `${from}-${to}`;
    let counts = this.counts.get(key);
    if (!counts) {
      counts = getFlowCounts(this.driver, {}, { from: new Date(from), to: new Date(to) }).then((rows) => new Map(rows.map((r) => [flowKey(r), r])));
      this.counts.set(key, counts);
    }
    return counts;
  }

  /** Counts per flow over the window that ends now. */
  countsOver(windowMs: number): Promise<Map<string, FlowKey & FlowCounts>> {
    return this.countsBetween(this.now - windowMs, this.now);
  }

  /**
   * Whether the flow's connection is disabled or uninstalled (its own lifecycle events,
   * or those sent without a connection id for the integration; the later wins, as in health).
   */
  async isDisabled(flow: FlowKey): Promise<boolean> {
    this.connections ??= getConnectionStates(this.driver, {}).then((rows) => new Map(rows.map((c) => [connectionKey(c), c])));
    const byKey = await this.connections;
    const own = byKey.get(connectionKey(flow))?.lifecycle ?? null;
    const shared = flow.connection ? (byKey.get(connectionKey({ ...flow, connection: '' }))?.lifecycle ?? null) : null;
    const lifecycle = !own ? shared : !shared ? own : shared.at > own.at ? shared : own;
    return disabledReason({ lifecycle }) !== null;
  }
}
