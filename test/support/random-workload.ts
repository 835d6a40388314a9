/**
 * A seeded random multi-tenant workload for tests that compare rollup-backed figures
 * with a direct recomputation from raw rows. It has everything the insights must get
 * right: runs with record outcomes, records retried across runs, mixed currencies,
 * every failure category, lifecycle events (with drop-offs, disable then re-enable),
 * events posted out of order, and re-sent duplicates.
 */

import { createRandom } from '../../src/demo/random.js';

/** mulberry32 (the demo's generator), so every run produces the same events. */
export const prng = (seed: number): (() => number) => createRandom(seed).next;

export type WorkloadEvent = Record<string, unknown> & { id: string; type: string; time: string; tenant: string; integration: string };

export interface Workload {
  /** Every distinct event (what the store should hold). */
  events: WorkloadEvent[];
  /** The batches to POST, shuffled, with some events sent twice. */
  batches: WorkloadEvent[][];
}

const TENANTS = ['acme', 'globex', 'initech', 'umbrella'];
const INTEGRATIONS: Record<string, string[]> = {
  salesforce: ['orders.export', 'contacts.import'],
  quickbooks: ['invoices.sync', 'payments.sync'],
  hubspot: ['contacts.import', 'deals.export'],
};
const CURRENCIES = ['USD', 'EUR', 'GBP'];
const ERRORS = [
  { category: undefined, http_status: 422, message: 'email is required' },
  { category: undefined, http_status: 429, message: 'Too Many Requests' },
  { category: undefined, http_status: 503, message: 'Service Unavailable' },
  { category: 'infra', code: 'resources', message: 'JavaScript heap out of memory' },
  { category: undefined, http_status: 409, message: 'duplicate external id' },
];
const FUNNEL = ['integration.viewed', 'integration.install_started', 'integration.authorized', 'integration.configured', 'integration.enabled'];

/** Generates a workload ending at `now`, spanning `days` days. */
export function randomWorkload(seed: number, opts: { now?: number; days?: number; runsPerFlow?: number } = {}): Workload {
  const rnd = prng(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)];
  const now = opts.now ?? Date.now();
  const days = opts.days ?? 14;
  const runsPerFlow = opts.runsPerFlow ?? 12;
  const start = now - days * 86_400_000;
  const events: WorkloadEvent[] = [];
  let n = 0;
  const add = (e: Omit<WorkloadEvent, 'id' | 'time'>, t: number) => {
    events.push({ id: `w${seed}-${n++}`, time: new Date(Math.min(t, now - 1000)).toISOString(), ...e } as WorkloadEvent);
  };

  for (const tenant of TENANTS) {
    for (const [integration, flows] of Object.entries(INTEGRATIONS)) {
      if (rnd() < 0.25) continue; // not every tenant has every integration
      // Lifecycle, with drop-offs: some stop part-way through the funnel.
      const steps = rnd() < 0.8 ? FUNNEL.length : 1 + Math.floor(rnd() * (FUNNEL.length - 1));
      let t = start + rnd() * 86_400_000;
      for (let i = 0; i < steps; i++) add({ type: FUNNEL[i], tenant, integration }, (t += rnd() * 3_600_000));
      if (steps < FUNNEL.length) continue;
      if (rnd() < 0.3) {
        add({ type: 'integration.disabled', tenant, integration }, start + (days / 2) * 86_400_000);
        if (rnd() < 0.5) add({ type: 'integration.enabled', tenant, integration }, start + (days / 2 + 1) * 86_400_000);
      }
      for (const flow of flows) {
        const pending: { id: string; value: number; currency: string }[] = [];
        const cadence = ((days - 1) * 86_400_000) / runsPerFlow;
        for (let r = 0; r < runsPerFlow; r++) {
          const run = `${tenant}-${integration}-${flow}-${r}`;
          const t0 = start + 86_400_000 + r * cadence + rnd() * 60_000;
          add({ type: 'run.started', tenant, integration, flow, run }, t0);
          const records = [...pending.splice(0, pending.length)];
          const fresh = 1 + Math.floor(rnd() * 6);
          for (let i = 0; i < fresh; i++) {
            records.push({ id: `${flow.split('.')[0].toUpperCase()}-${tenant}-${r}-${i}`, value: Math.round(rnd() * 500000) / 100, currency: pick(CURRENCIES) });
          }
          const runFails = rnd() < 0.15;
          let k = 0;
          for (const rec of records) {
            const record = { id: rec.id, type: flow.split('.')[0], value: rec.value, currency: rec.currency };
            const roll = rnd();
            const at = t0 + ++k * 1000;
            if (roll < 0.2) {
              add({ type: 'record.failed', tenant, integration, flow, run, record, error: pick(ERRORS) }, at);
              if (rnd() < 0.6) pending.push(rec); // retried in the next run
            } else if (roll < 0.27) {
              add({ type: 'record.skipped', tenant, integration, flow, run, record, reason: 'unchanged since last sync' }, at);
            } else {
              add({ type: 'record.synced', tenant, integration, flow, run, record }, at);
            }
          }
          const end = t0 + (k + 1) * 1000;
          if (runFails) add({ type: 'run.failed', tenant, integration, flow, run, records_total: records.length, error: pick(ERRORS) }, end);
          else add({ type: 'run.succeeded', tenant, integration, flow, run, records_total: records.length }, end);
        }
      }
    }
  }

  // Shuffle (events arrive out of order), then re-send ~10% of them in later batches.
  const shuffled = [...events];
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
  }
  const batches: WorkloadEvent[][] = [];
  for (let i = 0; i < shuffled.length; i += 250) batches.push(shuffled.slice(i, i + 250));
  const resend = shuffled.filter(() => rnd() < 0.1);
  for (let i = 0; i < resend.length; i += 100) batches.push(resend.slice(i, i + 100));
  return { events, batches };
}
