import { HEALTH_DEFAULTS, type HealthSettings, type ValueSettings } from '../config.js';
import { flowKey, getFlowCounts, getFlowFacts, type FlowCounts, type FlowFacts, type FlowKey } from '../insights/index.js';
import type { Driver } from '../store/index.js';

/** Settings window evaluation reads from the config. */
export interface EvaluateOptions {
  /** Configured cadences and thresholds, as health reads them (else health's defaults). */
  health?: HealthSettings;
  /** Currency conversion for value at risk across currencies. */
  value?: Pick<ValueSettings, 'reporting_currency' | 'rates'>;
}

export { flowKey };

/**
 * What one evaluation reads, each read at most once however many rules need it: the
 * flow facts as of now (the same facts health judges a status from: one row per flow and
 * connection), and the hourly flow counts per distinct window (rollups plus at most two
 * raw edge hours). Cost grows with the number of flows and distinct windows, not with the
 * number of events.
 */
export class EvaluationContext {
  private facts?: Promise<FlowFacts[]>;
  private readonly counts = new Map<string, Promise<Map<string, FlowKey & FlowCounts>>>();

  constructor(
    readonly driver: Driver,
    readonly now: number,
    readonly options: EvaluateOptions,
  ) {}

  get health(): HealthSettings {
    return this.options.health ?? HEALTH_DEFAULTS;
  }

  /** The facts of every flow ever seen, as of now. */
  flowFacts(): Promise<FlowFacts[]> {
    return (this.facts ??= getFlowFacts(this.driver, this.health, { now: this.now }).then((r) => r.flows));
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
}
