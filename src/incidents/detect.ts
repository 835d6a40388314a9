import { z } from 'zod';
import { toChTime, type Driver } from '../store/index.js';
import type { AffectedConnection, IncidentPolicy, PartnerOutage } from './model.js';

const row = z.object({
  integration: z.string(),
  tenant: z.string(),
  connection: z.string(),
  failures: z.coerce.number(),
  first_fail_ms: z.coerce.number(),
  last_fail_ms: z.coerce.number(),
  last_ok_ms: z.coerce.number(),
  records: z.coerce.number(),
  value: z.coerce.number(),
  currency: z.string(),
  code: z.string(),
});

const activeRow = z.object({ integration: z.string(), active: z.coerce.number() });

/**
 * The integrations whose API fails for several tenants now (docs/alerts.md#partner-incidents).
 * A connection is affected when it had a partner-side failure (category endpoint, one of
 * the policy's codes) within the window and no success (run succeeded, record synced) after
 * its latest one: so an incident ends as soon as the connections work again, not a window
 * later. Reads the window's raw events (minutes of them) and, only for integrations with
 * two failing tenants or more, the per-flow state for how many connections are active.
 */
export async function detectPartnerOutages(driver: Driver, policy: IncidentPolicy, now: number): Promise<PartnerOutage[]> {
  const rows = await driver.query({
    name: 'incidents.detect',
    sql: `SELECT integration, tenant, connection,
                 countIf(partner) AS failures,
                 toUnixTimestamp64Milli(minIf(ts, partner)) AS first_fail_ms,
                 toUnixTimestamp64Milli(maxIf(ts, partner)) AS last_fail_ms,
                 toUnixTimestamp64Milli(maxIf(ts, type IN ('run.succeeded', 'record.synced'))) AS last_ok_ms,
                 countIf(partner AND type = 'record.failed') AS records,
                 sumIf(record_value, partner AND type = 'record.failed' AND has_value = 1) AS value,
                 toString(anyIf(currency, partner AND has_value = 1)) AS currency,
                 toString(topKIf(1)(failure_code, partner)[1]) AS code
          FROM (SELECT *, failure_category = 'endpoint' AND failure_code IN {codes:Array(String)} AS partner
                FROM events
                WHERE ts > {from:DateTime64(3)} AND ts <= {now:DateTime64(3)} AND integration != '')
          GROUP BY integration, tenant, connection
          HAVING failures > 0 AND last_fail_ms > last_ok_ms`,
    params: { from: toChTime(now - policy.windowMs), now: toChTime(now), codes: [...policy.codes] },
    schema: row,
  });
  const failing = new Map<string, z.output<typeof row>[]>();
  for (const r of rows) failing.set(r.integration, [...(failing.get(r.integration) ?? []), r]);
  const candidates = [...failing].filter(([, cs]) => new Set(cs.map((c) => c.tenant)).size >= 2);
  if (candidates.length === 0) return [];
  const active = await activeConnections(driver, candidates.map(([i]) => i), now - policy.activeWindowMs);
  const outages: PartnerOutage[] = [];
  for (const [integration, connections] of candidates.sort(([a], [b]) => a.localeCompare(b))) {
    const tenants = [...new Set(connections.map((c) => c.tenant))].sort();
    // A failing connection is active even if the state has not caught up with it.
    const total = Math.max(active.get(integration) ?? 0, connections.length);
    if (tenants.length < policy.minTenants && connections.length / total < policy.minShare) continue;
    outages.push(outageOf(integration, connections, tenants, total));
  }
  return outages;
}

/** Connections per integration with any run or record since `since` (the per-flow state: one row per flow). */
async function activeConnections(driver: Driver, integrations: string[], since: number): Promise<Map<string, number>> {
  const rows = await driver.query({
    name: 'incidents.active',
    sql: `SELECT integration, uniqExact(tenant, connection) AS active
          FROM (SELECT integration, tenant, connection, max(last_run_at) AS last_run
                FROM flow_state
                WHERE integration IN {integrations:Array(String)}
                GROUP BY integration, tenant, connection
                HAVING last_run > {since:DateTime64(3)})
          GROUP BY integration`,
    params: { integrations, since: toChTime(since) },
    schema: activeRow,
  });
  return new Map(rows.map((r) => [r.integration, r.active]));
}

function outageOf(integration: string, failing: z.output<typeof row>[], tenants: string[], active: number): PartnerOutage {
  const money = new Map<string, number>();
  for (const c of failing) if (c.value > 0) money.set(c.currency, (money.get(c.currency) ?? 0) + c.value);
  const top = [...money].sort((a, b) => b[1] - a[1])[0];
  const connections: AffectedConnection[] = failing
    .map((c) => ({ tenant: c.tenant, connection: c.connection, failures: c.failures, firstFailureAt: c.first_fail_ms, lastFailureAt: c.last_fail_ms, code: c.code }))
    .sort((a, b) => a.tenant.localeCompare(b.tenant) || a.connection.localeCompare(b.connection));
  return {
    integration,
    since: Math.min(...connections.map((c) => c.firstFailureAt)),
    tenants,
    connections,
    activeConnections: active,
    failedRecords: failing.reduce((n, c) => n + c.records, 0),
    valueAtRisk: top ? { amount: Math.round(top[1] * 100) / 100, currency: top[0] } : null,
    codes: [...new Set(connections.map((c) => c.code))].sort(),
  };
}
