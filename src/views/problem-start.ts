import { z } from 'zod';
import { toChTime, type Driver } from '../store/index.js';
import { FAILURE_CATEGORIES } from '../vocabulary/index.js';

// When a problem began, as opposed to when the alert engine noticed it. An alert raised
// at 09:00 about failures that began yesterday (the service started, or the rule was
// added, or the data was back-filled) must read "1 day ago", not "2 minutes ago". The
// start is read from the events themselves: the earliest failure of the alert's category
// in its scope that belongs to the current unbroken episode.

const DAY = 86_400_000;
/** Failures further apart than this are two problems, not one. */
export const EPISODE_GAP_MS = 6 * 3_600_000;
/** How far back an episode is followed. */
const LOOKBACK_MS = 30 * DAY;
const MAX_ROWS = 20_000;
const FAILURE = new Set<string>(FAILURE_CATEGORIES);

/** What a problem's alert says about where it is. */
export interface ProblemScope {
  tenant: string;
  integration: string;
  flow: string;
  category: string;
}

const row = z.object({ at: z.coerce.number(), type: z.string() });

/**
 * The time the current episode of `scope`'s failures began: walking back from `now`, the
 * earliest failure of its category before a gap of more than EPISODE_GAP_MS or (for
 * endpoint and infra problems, which fail whole runs) a successful run. Data problems
 * live beside successful runs, so only a gap ends them. A health problem (runs that keep
 * failing) counts failed runs of any category. Null for other alerts (auth events, a
 * high-value record, a stale flow without failures) or no failure in the look-back.
 */
export async function findProblemStart(driver: Driver, scope: ProblemScope, now: number): Promise<number | null> {
  const health = scope.category === 'health';
  if ((!FAILURE.has(scope.category) && !health) || !scope.tenant || !scope.integration) return null;
  const rows = await driver.query({
    name: 'reports.problem_start',
    sql: `SELECT toUnixTimestamp64Milli(ts) AS at, type
          FROM events
          WHERE tenant = {tenant:String} AND integration = {integration:String}
            AND ({flow:String} = '' OR flow = {flow:String})
            AND ts >= {since:DateTime64(3)} AND ts <= {now:DateTime64(3)}
            AND ((type = 'run.failed' AND ({health:Bool} OR failure_category = {category:String}))
                 OR (type = 'record.failed' AND NOT {health:Bool} AND failure_category = {category:String})
                 OR type = 'run.succeeded')
          ORDER BY ts DESC
          LIMIT {limit:UInt32}`,
    params: { ...scope, health, since: toChTime(now - LOOKBACK_MS), now: toChTime(now), limit: MAX_ROWS },
    schema: row,
  });
  return episodeStart(rows, scope.category);
}

/** The walk of findProblemStart over rows newest first (exported for its unit test). */
export function episodeStart(rowsNewestFirst: readonly { at: number; type: string }[], category: string): number | null {
  let start: number | null = null;
  for (const r of rowsNewestFirst) {
    if (r.type === 'run.succeeded') {
      if (category === 'data') continue;
      break;
    }
    if (start !== null && start - r.at > EPISODE_GAP_MS) break;
    start = r.at;
  }
  return start;
}
