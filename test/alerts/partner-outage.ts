import { MIN, type Scenario } from './scenarios-support.js';

// Issue 12's first row, shared by its scenario test and bench/incidents.ts: HubSpot
// answers 503 to 20 of its 25 tenants for 15 minutes, with 5-minute runs, evaluated every
// 30 s (the default `alerts.evaluate_every`).

export const FAILING = Array.from({ length: 20 }, (_, i) => `t${String(i).padStart(2, '0')}`);
export const HEALTHY = ['t20', 't21', 't22', 't23', 't24'];
export const OUTAGE_MS = 15 * MIN;

/** One 5-minute run of a tenant's HubSpot contacts sync at `at`: succeeded, or failed with 503 and two records refused. */
export function hubspotRun(tenant: string, at: number, ok: boolean): Record<string, unknown>[] {
  const common = { tenant, integration: 'hubspot', flow: 'contacts.sync', run: `${tenant}-${at}` };
  if (ok) return [{ type: 'run.succeeded', time: at, ...common }, { type: 'record.synced', time: at, ...common, record: { id: `C-${tenant}-${at}`, type: 'contact', value: 50 } }];
  const error = { message: 'HubSpot answered 503 Service Unavailable', http_status: 503 };
  return [
    ...[0, 1].map((i) => ({ type: 'record.failed', time: at - 1000 + i, ...common, record: { id: `C-${tenant}-${at}-${i}`, type: 'contact', value: 100 }, error })),
    { type: 'run.failed', time: at, ...common, error },
  ];
}

/**
 * An hour of healthy runs before `base` (so cadences are known), then 45 minutes from
 * `base`: the 20 fail from `base` until `base + 15m`, everyone succeeds after. `at` is
 * called after each evaluation tick (the test looks at the API and pages then).
 */
export async function drivePartnerOutage(s: Scenario, base: number, at: (now: number) => Promise<void> = async () => {}): Promise<void> {
  const everyone = [...FAILING, ...HEALTHY];
  const history: Record<string, unknown>[] = [];
  for (let t = base - 60 * MIN; t < base; t += 5 * MIN) for (const tenant of everyone) history.push(...hubspotRun(tenant, t, true));
  await s.post(history);
  await s.tick(base - MIN);
  for (let now = base; now <= base + 45 * MIN; now += 30_000) {
    if ((now - base) % (5 * MIN) === 0) {
      s.clock.set(now);
      await s.post(everyone.flatMap((t) => hubspotRun(t, now, HEALTHY.includes(t) || now >= base + OUTAGE_MS)));
    }
    await s.tick(now);
    await at(now);
  }
}
