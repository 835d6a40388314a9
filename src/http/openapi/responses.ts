import { z } from 'zod';
import { RUN_OUTCOMES } from '../../vocabulary/index.js';

/*
 * What the JSON endpoints answer, for the OpenAPI document. The shapes are built by the
 * insights; these schemas name the fields clients rely on (objects stay open to added fields)
 * and the OpenAPI test validates real responses against them, so they cannot drift silently.
 */

const time = z.iso.datetime({ offset: true });
const nullableTime = time.nullable();
const counts = (...keys: string[]) => z.looseObject(Object.fromEntries(keys.map((k) => [k, z.number().int().min(0)])));
const byCategory = counts('infra', 'endpoint', 'data');
const failure = z.object({ category: z.string(), code: z.string(), message: z.string(), retryable: z.boolean().optional() });
const money = z.looseObject({ total: z.number(), currency: z.string(), by_currency: z.record(z.string(), z.number()), unconverted_currencies: z.array(z.string()) });
const window = z.object({ from: time, to: time });

/** `{"error": {"code", "message"}}`: every refusal and failure. */
export const errorResponse = z.object({ error: z.object({ code: z.string(), message: z.string() }) }).meta({ id: 'Error' });

export const eventsResponse = z
  .object({ accepted: z.number().int().min(0), rejected: z.array(z.object({ index: z.number().int().min(0), error: z.string() })) })
  .meta({ id: 'EventsAccepted' });

/** OTLP/JSON Export*ServiceResponse (protobuf has the same fields). */
export const otlpResponse = z
  .looseObject({ partialSuccess: z.looseObject({ rejectedSpans: z.string().optional(), rejectedLogRecords: z.string().optional(), errorMessage: z.string() }).optional() })
  .meta({ id: 'OtlpExportResponse' });

export const healthzResponse = z.object({ status: z.literal('ok') });
export const readyzResponse = z.looseObject({ status: z.string(), store: z.string() });

export const recordResponse = z
  .looseObject({
    tenant: z.string(),
    record_id: z.string(),
    status: z.enum(['synced', 'failed', 'skipped', 'unknown']).or(z.string()),
    resolved_by_later_sync: z.boolean().nullable(),
    last_synced_at: nullableTime,
    last_failed_at: nullableTime,
    attempts: z.array(z.looseObject({ time, integration: z.string(), flow: z.string(), run: z.string().nullable(), status: z.string(), failure: failure.nullable() })),
  })
  .meta({ id: 'RecordStatus' });

const runSummary = z
  .looseObject({
    run: z.string(),
    tenant: z.string(),
    integration: z.string(),
    connection: z.string().nullable(),
    flow: z.string(),
    started_at: time,
    ended_at: nullableTime,
    duration_ms: z.number().nullable(),
    outcome: z.enum(RUN_OUTCOMES),
    records_total: z.number().int().min(0),
    records: counts('synced', 'failed', 'skipped'),
    failures: byCategory,
    failure: failure.nullable(),
  })
  .meta({ id: 'RunSummary' });

export const runsResponse = z.object({ window, runs: z.array(runSummary) });
export const runReportResponse = z
  .looseObject({
    run: runSummary,
    records: z.array(z.looseObject({ record_id: z.string(), status: z.enum(['synced', 'failed', 'skipped']), time, value: z.number().nullable(), currency: z.string().nullable(), failure: failure.nullable() })),
    truncated: z.boolean(),
  })
  .meta({ id: 'RunReport' });

const healthEntry = {
  tenant: z.string(),
  integration: z.string(),
  status: z.string(),
  reasons: z.array(z.looseObject({ code: z.string(), message: z.string() })),
  runs: counts('total', 'succeeded', 'failed'),
  records: counts('synced', 'failed', 'skipped'),
  failures: byCategory,
  last_run_at: nullableTime,
  last_success_at: nullableTime,
};
export const healthResponse = z
  .looseObject({ window, connections: z.array(z.looseObject({ ...healthEntry, flows: z.array(z.looseObject({ flow: z.string(), ...healthEntry })) })) })
  .meta({ id: 'Health' });

export const failuresResponse = z
  .looseObject({
    from: time,
    to: time,
    total: z.number().int().min(0),
    by_category: byCategory,
    groups: z.array(z.looseObject({ category: z.string(), code: z.string(), count: z.number().int(), examples: z.array(z.looseObject({ tenant: z.string(), message: z.string(), time })) })),
    bucket: z.enum(['hour', 'day']),
    series: z.array(z.looseObject({ time, total: z.number().int().min(0) })),
  })
  .meta({ id: 'Failures' });

const valueFigures = {
  money_moved: money,
  records_moved: z.number().int().min(0),
  records_failed: z.number().int().min(0),
  records_skipped: z.number().int().min(0),
  time_saved: z.looseObject({ minutes: z.number(), hours: z.number(), value: z.number(), currency: z.string() }),
  value_at_risk: money,
};
export const valueResponse = z
  .looseObject({ from: time, to: time, reporting_currency: z.string(), ...valueFigures, previous: z.looseObject(valueFigures), groups: z.array(z.looseObject(valueFigures)).optional() })
  .meta({ id: 'Value' });

export const adoptionResponse = z
  .looseObject({
    from: time,
    to: time,
    reporting_currency: z.string(),
    integrations: z.array(
      z.looseObject({
        integration: z.string(),
        funnel: z.array(z.looseObject({ step: z.string(), connections: z.number().int().min(0), conversion: z.number().nullable() })),
        installs: counts('new', 'total'),
        records_moved: z.number().int().min(0),
        value_moved: money,
      }),
    ),
  })
  .meta({ id: 'Adoption' });

export const deliveriesResponse = z.object({ deliveries: z.array(z.looseObject({ id: z.string(), channel: z.string(), status: z.string() })) });
export const testDeliveryResponse = z.looseObject({});
export const alertsResponse = z.object({ alerts: z.array(z.looseObject({ status: z.string() })) });
export const incidentResponse = z
  .object({
    id: z.string(),
    rule: z.string(),
    integration: z.string(),
    partner: z.string(),
    status: z.enum(['pending', 'firing', 'resolved']),
    summary: z.string(),
    action: z.string(),
    started_at: z.string().meta({ description: 'Earliest partner failure of the episode' }),
    detected_at: z.string(),
    resolved_at: z.string().nullable(),
    tenants: z.array(z.string()),
    connections: z.array(z.object({ tenant: z.string(), connection: z.string(), failures: z.number(), code: z.string() })),
    active_connections: z.number(),
    records_failed: z.number(),
    value_at_risk: z.object({ amount: z.number(), currency: z.string() }).nullable(),
  })
  .meta({ id: 'Incident' });
export const incidentsResponse = z.object({ incidents: z.array(incidentResponse) });
export const silenceResponse = z.looseObject({ id: z.string(), state: z.string() }).meta({ id: 'Silence' });
export const silencesResponse = z.object({ silences: z.array(silenceResponse) });
export const subscriptionResponse = z
  .looseObject({
    tenant: z.string(),
    emails: z.array(z.string()),
    webhooks: z.array(z.looseObject({ url: z.string() })),
    categories: z.array(z.string()),
    delivery: z.string(),
    updated_at: nullableTime,
  })
  .meta({ id: 'Subscription' });
export const valueReportResponse = z
  .looseObject({ tenant: z.string(), title: z.string(), period: z.looseObject({ kind: z.string(), from: time, to: time }), generated_at: time, reporting_currency: z.string(), totals: z.looseObject({}) })
  .meta({ id: 'ValueReport' });

export const quarantineResponse = z
  .looseObject({
    rows: z.array(
      z.looseObject({ id: z.string(), quarantined_at: time, kind: z.enum(['event', 'span']), tenant: z.string(), event_id: z.string(), reason: z.string(), state: z.enum(['quarantined', 'replayed', 'discarded']), row: z.unknown() }),
    ),
  })
  .meta({ id: 'Quarantine' });
export const replayedResponse = z.looseObject({ replayed: z.number().int() });
export const discardedResponse = z.looseObject({ discarded: z.number().int() });

export const classifyResponse = z
  .looseObject({ category: z.enum(['infra', 'endpoint', 'data']), code: z.string(), retryable: z.boolean(), rule: z.string(), reason: z.string() })
  .meta({ id: 'Classification' });
export const unknownFailuresResponse = z
  .looseObject({ from: time, to: time, unknown: z.array(z.looseObject({ integration: z.string(), message: z.string(), failures: z.number().int(), tenants: z.number().int() })) })
  .meta({ id: 'UnknownFailures' });
