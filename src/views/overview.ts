import type { HealthSettings } from '../config.js';
import { getFailures, getHealth, getUnknownFailures, type ConnectionHealth, type HealthStatus, type UnknownFailure } from '../insights/index.js';
import type { TimeRange } from '../insights/index.js';
import type { Driver } from '../store/index.js';
import { HEALTH_STATUSES, statusRank } from '../vocabulary/index.js';
import { getFiringAlerts, getRecentDeliveries, type DeliveryLog, type OverviewAlert, type OverviewDelivery } from './overview-activity.js';
import { overviewFailures, type OverviewFailures } from './overview-failures.js';

export { bucketLabel, type CategoryTotal, type OverviewFailures, type TopFailure } from './overview-failures.js';
export { destinationOf, type DeliveryLog, type OverviewAlert, type OverviewDelivery } from './overview-activity.js';

// The operator overview (docs/architecture.md#pages-and-reports): every connection by status, failures by category
// over time, firing alerts, recent notifications and dead letters. Each part comes from
// the rollup-backed insight or store function that owns it, read in parallel.

/** Statuses worst first: the order of the counts and of the connections table. */

/** How many connections with one status. */
export interface StatusCount {
  status: HealthStatus;
  count: number;
}

/** One connection's line in the overview table. */
export interface OverviewConnection {
  tenant: string;
  integration: string;
  connection: string | null;
  status: HealthStatus;
  /** The first reasons; the rest are in `moreReasons` (a failing connection can have a dozen). */
  reasons: string[];
  moreReasons: string[];
  lastSuccessAt: string | null;
  lastRunAt: string | null;
  successRate: number | null;
  recordsFailed: number;
}

/** Everything the overview page shows. */
export interface Overview {
  from: string;
  to: string;
  windowLabel: string;
  totalConnections: number;
  statusCounts: StatusCount[];
  connections: OverviewConnection[];
  /** Connections left out of the table (it shows the worst {@link CONNECTIONS_SHOWN}). */
  connectionsHidden: number;
  failures: OverviewFailures;
  /** The most frequent failures no classification rule matched (infra · unknown), to write rules for. */
  unknown: UnknownFailure[];
  alerts: OverviewAlert[];
  /** Null when this process has no notifier (nothing to list). */
  notifications: { recent: OverviewDelivery[]; dead: OverviewDelivery[] } | null;
}

/** What the overview is computed over. */
export interface OverviewQuery {
  range: TimeRange;
  /** How the window reads in a sentence ("in the last 24h"). */
  windowLabel: string;
  now: number;
}

/** The table lists this many connections, worst first; the counts always cover all of them. */
export const CONNECTIONS_SHOWN = 300;
const DELIVERIES_SHOWN = 10;
const REASONS_SHOWN = 3;
const UNKNOWN_SHOWN = 5;

const time = (iso: string | null) => (iso === null ? -Infinity : Date.parse(iso));

/** Worst status first; within one, the longest without a success first, then by name. */
function worstFirst(a: ConnectionHealth, b: ConnectionHealth): number {
  return (
    statusRank(a.status) - statusRank(b.status) ||
    time(a.last_success_at) - time(b.last_success_at) ||
    a.tenant.localeCompare(b.tenant) ||
    a.integration.localeCompare(b.integration) ||
    (a.connection ?? '').localeCompare(b.connection ?? '')
  );
}

/** Counts per status (every status, zeros included) in {@link HEALTH_STATUSES}. */
export function countByStatus(connections: readonly Pick<ConnectionHealth, 'status'>[]): StatusCount[] {
  return HEALTH_STATUSES.map((status) => ({ status, count: connections.filter((c) => c.status === status).length }));
}

/** Computes the operator overview: health of every connection, failures, alerts and deliveries. */
export async function getOverview(
  deps: { driver: Driver; health: HealthSettings; deliveries: DeliveryLog | null },
  q: OverviewQuery,
): Promise<Overview> {
  const { driver } = deps;
  const [health, failures, unknown, alerts, notifications] = await Promise.all([
    getHealth(driver, deps.health, { range: q.range, windowLabel: q.windowLabel, now: q.now }),
    getFailures(driver, { range: q.range }),
    getUnknownFailures(driver, { range: q.range, limit: UNKNOWN_SHOWN }),
    getFiringAlerts(driver, q.now),
    getRecentDeliveries(deps.deliveries, DELIVERIES_SHOWN),
  ]);
  const sorted = [...health].sort(worstFirst);
  return {
    from: q.range.from.toISOString(),
    to: q.range.to.toISOString(),
    windowLabel: q.windowLabel,
    totalConnections: health.length,
    statusCounts: countByStatus(health),
    connections: sorted.slice(0, CONNECTIONS_SHOWN).map((c) => ({
      tenant: c.tenant,
      integration: c.integration,
      connection: c.connection,
      status: c.status,
      reasons: c.reasons.slice(0, REASONS_SHOWN).map((r) => r.message),
      moreReasons: c.reasons.slice(REASONS_SHOWN).map((r) => r.message),
      lastSuccessAt: c.last_success_at,
      lastRunAt: c.last_run_at,
      successRate: c.success_rate,
      recordsFailed: c.records.failed,
    })),
    connectionsHidden: Math.max(0, sorted.length - CONNECTIONS_SHOWN),
    failures: overviewFailures(failures),
    unknown,
    alerts,
    notifications,
  };
}
