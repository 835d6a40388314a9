import type { HealthSettings } from '../config.js';
import { getHealth, listRuns, type ConnectionHealth, type HealthStatus, type RunSummary } from '../insights/index.js';
import { getRecordAttempts, getRecordStatus, type Driver, type RecordAttempt, type RecordStatus } from '../store/index.js';
import { CATEGORY_LABELS, HEALTH_STATUSES, statusRank, type FailureCategory } from '../vocabulary/index.js';
import { adviceFor, customerActs, type Advice } from './status-advice.js';
import { getFailingRecords, type FailingRecord } from './status-records.js';
import { runDurationWords } from './status-run.js';

// The tenant status page's figures (docs/architecture.md#pages-and-reports), gathered in one call so the route
// stays thin: health per connection and flow (rollup-backed), the records still failing,
// recent runs and, when asked, one record's history. Every query is bound to the tenant.

const DAY = 86_400_000;
/** How far back the page lists runs and failing records. */
export const STATUS_LOOKBACK_DAYS = 7;
/** How long attempts are kept (the events' TTL), for the record search's empty state. */
export const RECORD_HISTORY_DAYS = 400;
const RUNS_SHOWN = 20;
const FAILING_SHOWN = 50;
const ATTEMPTS_SHOWN = 100;

/** Worst first, for ordering cards and the headline; a connection the tenant turned off ranks below live problems. */

/** A connection card: its health (flows included) and what the customer can do. */
export type StatusConnection = ConnectionHealth & { advice: Advice[] };

/** One record's history, newest attempt first. */
export interface RecordSearch {
  record_id: string;
  current: RecordStatus;
  attempts: RecordAttempt[];
  /** Attempts found in all (the list shows the newest `attempts.length`). */
  total_attempts: number;
}

/** Everything the status page shows for one tenant. */
export interface StatusPage {
  tenant: string;
  window: { hours: number; from: string; to: string };
  /** The worst connection status (`unknown` with no connections). */
  overall: HealthStatus;
  /** How many connections are at each status, worst first, zeros left out. */
  status_counts: { status: HealthStatus; count: number; words: string }[];
  connections: StatusConnection[];
  failing_records: (FailingRecord & { category_name: string })[];
  /** True when more records are failing than listed. */
  failing_records_capped: boolean;
  runs: (RunSummary & { duration: string })[];
  lookback_days: number;
  search: RecordSearch | null;
  has_data: boolean;
}

/** What the page is asked for: the tenant, the time it is judged at, an optional record search. */
export interface StatusPageQuery {
  tenant: string;
  now: number;
  /** A business id to look up. */
  record?: string;
}


/** Gathers the status page of one tenant: a handful of queries, run side by side. */
export async function getStatusPage(driver: Driver, settings: HealthSettings, q: StatusPageQuery): Promise<StatusPage> {
  const to = new Date(q.now);
  const range = { from: new Date(q.now - settings.window_hours * 3_600_000), to };
  const lookback = { from: new Date(q.now - STATUS_LOOKBACK_DAYS * DAY), to };
  const [health, failing, runs, search] = await Promise.all([
    getHealth(driver, settings, { tenant: q.tenant, range, windowLabel: `in the last ${settings.window_hours}h`, now: q.now }),
    getFailingRecords(driver, { tenant: q.tenant, from: lookback.from, limit: FAILING_SHOWN + 1 }),
    listRuns(driver, { tenant: q.tenant, range: lookback, limit: RUNS_SHOWN }),
    q.record ? searchRecord(driver, q.tenant, q.record) : Promise.resolve(null),
  ]);

  const connections: StatusConnection[] = health
    // One page, one voice: when the customer must act somewhere on it, no connection says "nothing to do".
    .map((c) => ({ ...c, advice: adviceFor(c, { pageHasActions: health.some((h) => customerActs(adviceFor(h))) }) }))
    .sort((a, b) => statusRank(a.status) - statusRank(b.status) || a.integration.localeCompare(b.integration) || (a.connection ?? '').localeCompare(b.connection ?? ''));
  const counts = new Map<HealthStatus, number>();
  for (const c of connections) counts.set(c.status, (counts.get(c.status) ?? 0) + 1);

  return {
    tenant: q.tenant,
    window: { hours: settings.window_hours, from: range.from.toISOString(), to: to.toISOString() },
    overall: connections[0]?.status ?? 'unknown',
    status_counts: HEALTH_STATUSES.filter((s) => counts.has(s)).map((status) => ({ status, count: counts.get(status)!, words: status === 'unknown' ? 'with no data yet' : status })),
    connections,
    failing_records: failing.slice(0, FAILING_SHOWN).map((r) => ({ ...r, category_name: CATEGORY_LABELS.tenant[r.category as FailureCategory] ?? r.category })),
    failing_records_capped: failing.length > FAILING_SHOWN,
    runs: runs.map((r) => ({ ...r, duration: runDurationWords(r.duration_ms) })),
    lookback_days: STATUS_LOOKBACK_DAYS,
    search,
    has_data: connections.length > 0 || runs.length > 0 || failing.length > 0,
  };
}

/** One record's attempts (the same look-up as GET /v1/records), newest first. */
async function searchRecord(driver: Driver, tenant: string, recordId: string): Promise<RecordSearch> {
  const lookup = { tenant, recordId };
  const [attempts, current] = await Promise.all([getRecordAttempts(driver, lookup), getRecordStatus(driver, lookup)]);
  return { record_id: recordId, current, attempts: attempts.slice(-ATTEMPTS_SHOWN).reverse(), total_attempts: attempts.length };
}
