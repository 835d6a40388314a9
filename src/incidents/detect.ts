import { z } from 'zod';
import { toChTime, type Driver } from '../store/index.js';
import type { AffectedConnection, FlowStateView, IncidentPolicy, PartnerOutage } from './model.js';

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
 * A connection is a candidate when one of its runs failed on the partner's side (category
 * endpoint, one of the policy's codes) within the window, or its latest record attempt did
 * (the state keeps no time for it: the events decide), per the per-flow state the alert
 * evaluation reads anyway (`flows`): with no integration failing for two tenants, that is
 * all a tick reads. Otherwise the window's raw events of the candidate tenants and
 * integrations (a key range each) decide: a connection is affected when it had a partner
 * failure (run or record) in the window and no success (run succeeded, record synced) after
 * its latest one, so an incident ends as soon as the connections work again, not a window later.
 */
export async function detectPartnerOutages(driver: Driver, policy: IncidentPolicy, now: number, flows: readonly FlowStateView[]): Promise<PartnerOutage[]> {
  const partnerRun = (r: FlowStateView['recentRuns'][number]) =>
    r.outcome === 'failed' && r.endedAt > now - policy.windowMs && r.endedAt <= now && partner(r.failure);
  const partner = (failure: { category: string; code: string } | null) => failure?.category === 'endpoint' && policy.codes.includes(failure.code);
  const suspect = (f: FlowStateView) => f.recentRuns.some(partnerRun) || (f.lastRecord?.status === 'failed' && partner(f.lastRecord.failure));
  const suspects = new Map<string, Set<string>>();
  for (const f of flows) if (f.integration !== '' && suspect(f)) suspects.set(f.integration, (suspects.get(f.integration) ?? new Set()).add(f.tenant));
  const suspected = [...suspects].filter(([, tenants]) => tenants.size >= 2);
  if (suspected.length === 0) return [];
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
                WHERE tenant IN {tenants:Array(String)} AND integration IN {integrations:Array(String)}
                  AND ts > {from:DateTime64(3)} AND ts <= {now:DateTime64(3)})
          GROUP BY integration, tenant, connection
          HAVING failures > 0 AND last_fail_ms > last_ok_ms`,
    params: {
      from: toChTime(now - policy.windowMs),
      now: toChTime(now),
      codes: [...policy.codes],
      integrations: suspected.map(([i]) => i),
      tenants: [...new Set(suspected.flatMap(([, t]) => [...t]))],
    },
    schema: row,
  });
  const failing = new Map<string, z.output<typeof row>[]>();
  for (const r of rows) failing.set(r.integration, [...(failing.get(r.integration) ?? []), r]);
  const candidates = [...failing].filter(([, cs]) => new Set(cs.map((c) => c.tenant)).size >= 2);
  if (candidates.length === 0) return [];
  const active = activeConnections(flows, now - policy.activeWindowMs);
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

/** Connections per integration with a run since `since`, from the per-flow state. */
function activeConnections(flows: readonly FlowStateView[], since: number): Map<string, number> {
  const seen = new Map<string, Set<string>>();
  for (const f of flows) if (f.lastRunAt !== null && f.lastRunAt > since) seen.set(f.integration, (seen.get(f.integration) ?? new Set()).add(`${f.tenant}\u0000${f.connection}`));
  return new Map([...seen].map(([i, c]) => [i, c.size]));
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
