import { z } from 'zod';
import { toChTime, type Driver } from '../store/index.js';
import type { TimeRange } from './range.js';

const DAY_MS = 86_400_000;
const count = z.coerce.number();

/** Active connections of one integration: a successful run in the 7 and 30 days before `to`. */
export interface ActiveConnections {
  last7d: number;
  last30d: number;
}

/** Connections with at least one successful run on one UTC day. */
export interface DailyActive {
  date: string;
  connections: number;
}

const activeRow = z
  .object({ integration: z.string(), active_7d: count, active_30d: count })
  .transform((r) => ({ integration: r.integration, last7d: r.active_7d, last30d: r.active_30d }));

const dailyRow = z.object({ integration: z.string(), date: z.string(), connections: count });

const integrationFilter = (integration?: string) => (integration ? ' AND integration = {integration:String}' : '');

/**
 * Per integration, connections with a successful run in [to - 7d, to) and [to - 30d, to).
 * Exact for any `to` although the rollup is daily: a day row keeps its first and last
 * success, and the window's ends fall on different days, so "first < to AND last >= start"
 * says exactly whether that day had a success inside the window.
 */
export async function getActiveConnections(
  driver: Driver,
  q: { to: Date; integration?: string },
): Promise<Map<string, ActiveConnections>> {
  const to = q.to.getTime();
  const rows = await driver.query({
    name: 'adoption.active',
    sql: `SELECT integration,
                 uniqExactIf((tenant, connection), last_success_at >= {start7:DateTime64(3, 'UTC')}) AS active_7d,
                 uniqExact((tenant, connection)) AS active_30d
          FROM adoption_active_daily
          WHERE day >= toDate({start30:DateTime64(3, 'UTC')}) AND day <= toDate({to:DateTime64(3, 'UTC')})
            AND first_success_at < {to:DateTime64(3, 'UTC')} AND last_success_at >= {start30:DateTime64(3, 'UTC')}
            ${integrationFilter(q.integration)}
          GROUP BY integration`,
    params: {
      to: toChTime(to),
      start7: toChTime(to - 7 * DAY_MS),
      start30: toChTime(to - 30 * DAY_MS),
      integration: q.integration ?? '',
    },
    schema: activeRow,
  });
  return new Map(rows.map((r) => [r.integration, { last7d: r.last7d, last30d: r.last30d }]));
}

/** The UTC days that overlap a range, oldest first, as `YYYY-MM-DD`. */
export function daysOf(range: TimeRange): string[] {
  const days: string[] = [];
  const last = range.to.getTime() - 1;
  for (let t = Math.floor(range.from.getTime() / DAY_MS) * DAY_MS; t <= last; t += DAY_MS) {
    days.push(new Date(t).toISOString().slice(0, 10));
  }
  return days;
}

/**
 * Per integration, for each UTC day that overlaps the period, the connections that had a
 * successful run that day (whole days: the first and last day are not cut at from/to).
 * Days without any are zeros.
 */
export async function getDailyActive(
  driver: Driver,
  q: { range: TimeRange; integration?: string },
): Promise<Map<string, DailyActive[]>> {
  const days = daysOf(q.range);
  const rows = await driver.query({
    name: 'adoption.daily_active',
    sql: `SELECT integration, toString(day) AS date, uniqExact((tenant, connection)) AS connections
          FROM adoption_active_daily
          WHERE day >= {first:Date} AND day <= {last:Date}${integrationFilter(q.integration)}
          GROUP BY integration, day`,
    params: { first: days[0], last: days.at(-1), integration: q.integration ?? '' },
    schema: dailyRow,
  });
  const byIntegration = new Map<string, Map<string, number>>();
  for (const r of rows) {
    const m = byIntegration.get(r.integration) ?? new Map<string, number>();
    m.set(r.date, r.connections);
    byIntegration.set(r.integration, m);
  }
  return new Map(
    [...byIntegration].map(([integration, m]) => [integration, days.map((date) => ({ date, connections: m.get(date) ?? 0 }))]),
  );
}

/** A zero-filled daily series, for integrations with no successful run in the period. */
export function emptyDailyActive(range: TimeRange): DailyActive[] {
  return daysOf(range).map((date) => ({ date, connections: 0 }));
}
