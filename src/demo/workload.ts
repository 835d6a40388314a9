import type { IntegrationEvent } from '../ingest/index.js';
import { CONNECTIONS, integrationSpec, tenantSpec } from './catalog.js';
import { activeRange, lifecycleEvents } from './lifecycle.js';
import { simulateFlow } from './runs.js';
import { planScenarios, type Scenarios } from './scenarios.js';

/** The seed `syncwatch demo` uses: the same seed, day and window give the same events. */
export const DEFAULT_SEED = 'syncwatch-demo';

/** What the workload is generated from. */
export interface WorkloadOptions {
  seed?: string;
  /** End of the simulated window (ms since epoch); default: the current time. */
  now?: number;
  /** Length of the simulated window in days (fractions allowed); default 7. */
  days?: number;
}

/** A generated workload: the events (as runners post them, sorted by time) and the scenario timeline behind them. */
export interface Workload {
  events: IntegrationEvent[];
  scenarios: Scenarios;
}

/**
 * Generates the demo's simulated integration telemetry: five tenants, four integrations,
 * scheduled runs with their records, and the failure, adoption and auth stories of
 * `planScenarios`. Pure: the same options always give the same events and ids.
 */
export function generateWorkload(options: WorkloadOptions = {}): Workload {
  const seed = options.seed ?? DEFAULT_SEED;
  const now = options.now ?? Date.now();
  const days = options.days ?? 7;
  if (!(days > 0)) throw new RangeError(`days must be a positive number, got ${days}`);
  const scenarios = planScenarios(now, days);

  const events: IntegrationEvent[] = lifecycleEvents(seed, scenarios);
  const connections = [...CONNECTIONS, { tenant: scenarios.installed.tenant, integration: scenarios.installed.integration }];
  for (const c of connections) {
    const integration = integrationSpec(c.integration);
    const tenant = tenantSpec(c.tenant);
    const { from, until } = activeRange(seed, c, scenarios);
    for (const flow of integration.flows) {
      events.push(...simulateFlow({ seed, tenant, integration, flow, scenarios, from, until }));
    }
  }
  // ISO strings of the same format sort as time; the sort is stable, so a run's events keep their order.
  events.sort((a, b) => (a.time! < b.time! ? -1 : a.time! > b.time! ? 1 : 0));
  return { events, scenarios };
}

/** Convenience for tests and benches: only the events. */
export function generateEvents(options: WorkloadOptions = {}): IntegrationEvent[] {
  return generateWorkload(options).events;
}

/** A record that failed and was synced by a later attempt (for the demo's example lookup). */
export interface RetriedRecord {
  tenant: string;
  integration: string;
  recordId: string;
  failureMessage: string;
}

/** The most recent record in the workload that failed and then synced, preferring `prefer`'s tenant. */
export function findRetriedRecord(events: readonly IntegrationEvent[], prefer?: string): RetriedRecord | null {
  const failed = new Map<string, IntegrationEvent>();
  let found: RetriedRecord | null = null;
  for (const e of events) {
    if (!e.record) continue;
    const key = `${e.tenant}\u0000${e.integration}\u0000${e.record.id}`;
    if (e.type === 'record.failed') failed.set(key, e);
    else if (e.type === 'record.synced' && failed.has(key)) {
      const f = failed.get(key)!;
      const candidate = { tenant: e.tenant, integration: e.integration, recordId: e.record.id, failureMessage: f.error?.message ?? '' };
      if (!found || prefer === undefined || e.tenant === prefer || found.tenant !== prefer) found = candidate;
      failed.delete(key);
    }
  }
  return found;
}
