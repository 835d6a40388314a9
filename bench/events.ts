// Deterministic, realistic /v1/events traffic for the ingest benchmark: several tenants,
// each with a few integrations and flows, runs of record.synced / record.failed events
// carrying business ids and money values, ~5% failures with error objects.
import { createRandom } from '../src/demo/random.js';

/** One posted event, as a runner would send it (docs/runtime-authors.md#events). */
export type BenchEvent = Record<string, unknown>;

const TENANTS = ['acme', 'globex', 'initech', 'umbrella', 'hooli', 'stark', 'wayne', 'wonka'];

const INTEGRATIONS: { integration: string; flows: string[]; recordType: string; prefix: string }[] = [
  { integration: 'salesforce', flows: ['orders.export', 'accounts.sync'], recordType: 'order', prefix: 'ORD' },
  { integration: 'hubspot', flows: ['contacts.import', 'deals.sync'], recordType: 'contact', prefix: 'CON' },
  { integration: 'netsuite', flows: ['invoices.export'], recordType: 'invoice', prefix: 'INV' },
  { integration: 'shopify', flows: ['orders.import', 'products.sync'], recordType: 'order', prefix: 'SHP' },
  { integration: 'stripe', flows: ['payments.reconcile'], recordType: 'payment', prefix: 'PAY' },
  { integration: 'zendesk', flows: ['tickets.sync'], recordType: 'ticket', prefix: 'TKT' },
];

const SPAN_MS = 72 * 3600 * 1000;

const CURRENCIES = ['USD', 'USD', 'USD', 'EUR', 'GBP'];

// A spread of failures across the three categories; some classified by the runner, most inferred.
const ERRORS: Record<string, unknown>[] = [
  { code: 'validation', message: 'email is required', http_status: 422 },
  { message: 'field "amount" must be a positive number', http_status: 400 },
  { message: 'Rate limit exceeded, retry later', http_status: 429, retry_after: 30 },
  { message: 'upstream returned 503 Service Unavailable', http_status: 503 },
  { message: 'connect ECONNREFUSED 10.0.3.7:443', type: 'ECONNREFUSED' },
  { message: 'session expired or invalid', http_status: 401 },
  { category: 'data', code: 'duplicate_record', message: 'record already exists in target' },
  { category: 'infra', code: 'worker_oom', message: 'runner killed', exit_code: 137 },
];

/** mulberry32 (the demo's generator), so every run produces the same events. */
const prng = (seed: number): (() => number) => createRandom(seed).next;

/** The error objects failures carry: a fixed few (classified once, then cached) or a given list. */
export interface ErrorMix {
  errors: Record<string, unknown>[];
  /** Append the record id to each message, so no two failures look alike (every one misses the classifier's cache). */
  unique: boolean;
  /** Send the category and code with each failure (as this function decides them), so ingest has nothing to classify. */
  explicit?: (error: Record<string, unknown>, integration: string) => { category: string; code: string };
}

export const FIXED_ERRORS: ErrorMix = { errors: ERRORS, unique: false };

/**
 * Generates events `from` (inclusive) to `to` (exclusive) of `total`, with times spread
 * evenly over the 72 hours after `baseMs`. Event i depends only on (i, total, baseMs),
 * so batches can be built one at a time. Ids are unique.
 */
export function generateEvents(from: number, to: number, total: number, baseMs: number, mix: ErrorMix = FIXED_ERRORS): BenchEvent[] {
  const out: BenchEvent[] = [];
  for (let i = from; i < to; i++) {
    const rnd = prng(i * 2654435761 + 17);
    const tenant = TENANTS[Math.floor(rnd() * TENANTS.length)];
    const spec = INTEGRATIONS[Math.floor(rnd() * INTEGRATIONS.length)];
    const flow = spec.flows[Math.floor(rnd() * spec.flows.length)];
    const runNo = Math.floor(i / 500); // runs of ~500 records
    const failed = rnd() < 0.05;
    const value = Math.round(rnd() * 500_000) / 100;
    const event: BenchEvent = {
      id: `evt-${i.toString(36).padStart(8, '0')}-${Math.floor(rnd() * 1e9).toString(36)}`,
      type: failed ? 'record.failed' : 'record.synced',
      time: new Date(baseMs + Math.floor((i * SPAN_MS) / total) + Math.floor(rnd() * 1000)).toISOString(),
      tenant,
      integration: spec.integration,
      connection: `${tenant}-${spec.integration}`,
      flow,
      run: `run-${runNo}`,
      record: {
        id: `${spec.prefix}-${100_000 + Math.floor(rnd() * 900_000)}`,
        type: spec.recordType,
        value,
        currency: CURRENCIES[Math.floor(rnd() * CURRENCIES.length)],
      },
      duration_ms: Math.floor(rnd() * 2000),
    };
    if (failed) {
      const error = mix.errors[Math.floor(rnd() * mix.errors.length)];
      const record = (event.record as { id: string }).id;
      const told = mix.explicit?.(error, spec.integration) ?? {};
      event.error = mix.unique ? { ...error, ...told, message: `${String(error.message ?? 'failed')} (record ${record}, attempt ${i})` } : { ...error, ...told };
    }
    if (rnd() < 0.3) event.attributes = { region: rnd() < 0.5 ? 'eu-west-1' : 'us-east-1', 'runner.version': '2.4.1' };
    out.push(event);
  }
  return out;
}
