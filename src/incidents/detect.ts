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

/**
 * The integrations whose API fails for several tenants now (docs/alerts.md#partner-incidents).
 * A connection is affected when it had a partner-side failure (category endpoint, one of
 * the policy's codes) within the window and no success (run succeeded, record synced) after
 * its latest one: so an incident ends as soon as the connections work again, not a window later.
 * One read of the active window's raw events, grouped per connection.
 */
export async function detectPartnerOutages(driver: Driver, policy: IncidentPolicy, now: number): Promise<PartnerOutage[]> {
  const rows = await driver.query({
    name: 'incidents.detect',
    sql: `SELECT integration, tenant, connection,
                 countIf(partner AND ts > {from:DateTime64(3)}) AS failures,
                 toUnixTimestamp64Milli(minIf(ts, partner AND ts > {from:DateTime64(3)})) AS first_fail_ms,
                 toUnixTimestamp64Milli(maxIf(ts, partner)) AS last_fail_ms,
                 toUnixTimestamp64Milli(maxIf(ts, type IN ('run.succeeded', 'record.synced'))) AS last_ok_ms,
                 countIf(partner AND ts > {from:DateTime64(3)} AND type = 'record.failed') AS records,
                 sumIf(record_value, partner AND ts > {from:DateTime64(3)} AND type = 'record.failed' AND has_value = 1) AS value,
                 toString(anyIf(currency, partner AND has_value = 1)) AS currency,
                 toString(topKIf(1)(failure_code, partner)[1]) AS code
          FROM (SELECT *, failure_category = 'endpoint' AND failure_code IN {codes:Array(String)} AS partner
                FROM events
                WHERE ts > {active:DateTime64(3)} AND ts <= {now:DateTime64(3)} AND integration != '')
          GROUP BY integration, tenant, connection`,
    params: { from: toChTime(now - policy.windowMs), active: toChTime(now - policy.activeWindowMs), now: toChTime(now), codes: [...policy.codes] },
    schema: row,
  });
  const byIntegration = new Map<string, z.output<typeof row>[]>();
  for (const r of rows) byIntegration.set(r.integration, [...(byIntegration.get(r.integration) ?? []), r]);
  const outages: PartnerOutage[] = [];
  for (const [integration, connections] of [...byIntegration].sort(([a], [b]) => a.localeCompare(b))) {
    const failing = connections.filter((c) => c.failures > 0 && c.last_fail_ms > c.last_ok_ms);
    const tenants = [...new Set(failing.map((c) => c.tenant))].sort();
    const share = failing.length / connections.length;
    if (tenants.length < policy.minTenants && (tenants.length < 2 || share < policy.minShare)) continue;
    outages.push(outageOf(integration, failing, tenants, connections.length));
  }
  return outages;
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
