import { z } from 'zod';
import { targetSchema } from '../../notify/index.js';
import { classifyInputSchema, eventSchema } from '../../ingest/index.js';
import { newSilenceSchema, subscriptionBodySchema } from '../../alerts/index.js';
import { adoptionQuery } from '../routes/adoption.js';
import { alertsQuery } from '../routes/alerts.js';
import { incidentsQuery } from '../routes/incidents.js';
import { failuresQuery, unknownQuery } from '../routes/failures.js';
import { healthQuery } from '../routes/health.js';
import { deliveriesQuery } from '../routes/notifications.js';
import { quarantineQuery, quarantineSelection } from '../routes/quarantine.js';
import { recordQuery } from '../routes/records.js';
import { valueReportQuery } from '../routes/reports.js';
import { runReportQuery, runsQuery } from '../routes/runs.js';
import { silenceIdParam, silencesQuery } from '../routes/silences.js';
import { tenantParam } from '../routes/subscriptions.js';
import { valueQuery } from '../routes/value.js';
import * as r from './responses.js';

/** Who may call an operation: an API key role, or a page's own access (tenant key, signed link, session). */
export type Access = 'none' | 'ingest' | 'admin' | 'tenant' | 'page';

/** One route as the OpenAPI document describes it; schemas are the ones the route validates with. */
export interface Operation {
  method: 'get' | 'post' | 'put' | 'delete';
  /** Express syntax (`/v1/runs/:run/report`). */
  path: string;
  summary: string;
  tag: string;
  access: Access;
  query?: z.ZodObject;
  /** Path parameters; each is a string unless the schema says more. */
  params?: z.ZodObject;
  body?: { schema: z.ZodType; contentTypes: string[] } | { raw: string[] };
  status: number;
  /** Error answers besides the ones every keyed route has (400/401/403/404): status → when. */
  errors?: Record<string, string>;
  /** JSON response schema; absent for non-JSON answers (`produces`). */
  response?: z.ZodType;
  produces?: string[];
}

const OTLP = ['application/x-protobuf', 'application/json'];
/** What every ingest route may answer besides success (src/http/admission.ts, body limits, the spool). */
const INGEST_ERRORS = {
  '413': 'The body is over SYNCWATCH_MAX_BODY_BYTES (after gzip), or carries more than 100 000 events',
  '503':
    'Not accepted now; nothing from the request was stored. Retry the same body after Retry-After seconds. Either the service is at capacity (more ingest requests or body bytes in flight than SYNCWATCH_MAX_INFLIGHT_REQUESTS / _BYTES; answered before the body is read), or the store is away and the spool is full, or the process is shutting down',
};
const HTML = ['text/html'];
const json = (schema: z.ZodType) => ({ schema, contentTypes: ['application/json'] });
const runParam = z.object({ run: z.string().min(1).max(128) });
const pageTenant = z.object({ tenant: z.string().min(1).max(128) });

/** Every route of the app. A test checks this list against the express app, both ways. */
export const OPERATIONS: Operation[] = [
  { method: 'get', path: '/healthz', summary: 'The process is up', tag: 'operation', access: 'none', status: 200, response: r.healthzResponse },
  { method: 'get', path: '/readyz', summary: 'The store is reachable and ingest is not stalled (503 otherwise)', tag: 'operation', access: 'none', status: 200, response: r.readyzResponse },
  { method: 'get', path: '/metrics', summary: "The service's own metrics (Prometheus text)", tag: 'operation', access: 'none', status: 200, produces: ['text/plain'] },
  { method: 'get', path: '/openapi.json', summary: 'This document', tag: 'operation', access: 'none', status: 200, produces: ['application/json'] },
  { method: 'get', path: '/docs/api', summary: 'This document, rendered (Swagger UI, served locally)', tag: 'operation', access: 'none', status: 200, produces: HTML },
  { method: 'get', path: '/docs/api/init.js', summary: "The rendered document's start-up script", tag: 'operation', access: 'none', status: 200, produces: ['text/javascript'] },
  {
    method: 'post',
    path: '/v1/events',
    summary: 'Integration events: a JSON array, or NDJSON (application/x-ndjson), optionally gzip',
    tag: 'ingest',
    access: 'ingest',
    body: { schema: z.array(eventSchema), contentTypes: ['application/json', 'application/x-ndjson'] },
    status: 202,
    errors: INGEST_ERRORS,
    response: r.eventsResponse,
  },
  { method: 'post', path: '/v1/traces', summary: 'OTLP/HTTP traces (ExportTraceServiceRequest)', tag: 'ingest', access: 'ingest', body: { raw: OTLP }, status: 200, errors: INGEST_ERRORS, response: r.otlpResponse },
  { method: 'post', path: '/v1/logs', summary: 'OTLP/HTTP logs (ExportLogsServiceRequest): event-named log records', tag: 'ingest', access: 'ingest', body: { raw: OTLP }, status: 200, errors: INGEST_ERRORS, response: r.otlpResponse },
  { method: 'get', path: '/v1/records', summary: "One record's attempts by business id", tag: 'insights', access: 'admin', query: recordQuery, status: 200, response: r.recordResponse },
  { method: 'get', path: '/v1/health', summary: 'Status per connection and flow, with reasons', tag: 'insights', access: 'admin', query: healthQuery, status: 200, response: r.healthResponse },
  { method: 'get', path: '/v1/runs', summary: 'Recent runs', tag: 'insights', access: 'admin', query: runsQuery, status: 200, response: r.runsResponse },
  {
    method: 'get',
    path: '/v1/runs/:run/report',
    summary: 'The run/import report (JSON, or CSV with format=csv or Accept: text/csv)',
    tag: 'insights',
    access: 'admin',
    params: runParam,
    query: runReportQuery.omit({ run: true }),
    status: 200,
    response: r.runReportResponse,
    produces: ['text/csv'],
  },
  { method: 'get', path: '/v1/failures', summary: 'Failures by category and code, examples, series', tag: 'insights', access: 'admin', query: failuresQuery, status: 200, response: r.failuresResponse },
  { method: 'get', path: '/v1/value', summary: 'Money moved, time saved, value at risk', tag: 'insights', access: 'admin', query: valueQuery, status: 200, response: r.valueResponse },
  { method: 'get', path: '/v1/adoption', summary: 'Funnel, installs, active connections, churn, ranking', tag: 'insights', access: 'admin', query: adoptionQuery, status: 200, response: r.adoptionResponse },
  { method: 'get', path: '/v1/notifications', summary: 'The delivery log', tag: 'notifications', access: 'admin', query: deliveriesQuery, status: 200, response: r.deliveriesResponse },
  { method: 'post', path: '/v1/notifications/test', summary: 'Send a test notification to a target', tag: 'notifications', access: 'admin', body: json(targetSchema), status: 200, response: r.testDeliveryResponse },
  { method: 'get', path: '/v1/alerts', summary: 'Alerts', tag: 'alerts', access: 'admin', query: alertsQuery, status: 200, response: r.alertsResponse },
  { method: 'post', path: '/v1/classify', summary: 'How syncwatch would classify a failure (category, code, retryable), by which rule and why', tag: 'ingest', access: 'ingest', body: json(classifyInputSchema), status: 200, response: r.classifyResponse },
  { method: 'get', path: '/v1/failures/unknown', summary: 'Failures no rule classified (infra · unknown), ranked by count, to improve the rules', tag: 'insights', access: 'admin', query: unknownQuery, status: 200, response: r.unknownFailuresResponse },
  { method: 'get', path: '/v1/ingest/quarantine', summary: 'Rows the store refused at flush, with its reason (the ingest quarantine)', tag: 'ingest', access: 'admin', query: quarantineQuery, status: 200, response: r.quarantineResponse },
  { method: 'post', path: '/v1/ingest/quarantine/replay', summary: 'Put quarantined rows back through ingest (after a fix)', tag: 'ingest', access: 'admin', body: json(quarantineSelection), status: 200, response: r.replayedResponse },
  { method: 'post', path: '/v1/ingest/quarantine/discard', summary: 'Drop quarantined rows for good', tag: 'ingest', access: 'admin', body: json(quarantineSelection), status: 200, response: r.discardedResponse },
  { method: 'get', path: '/v1/incidents', summary: 'Partner incidents: one integration failing for several tenants', tag: 'alerts', access: 'admin', query: incidentsQuery, status: 200, response: r.incidentsResponse },
  { method: 'get', path: '/v1/silences', summary: 'Silences', tag: 'alerts', access: 'admin', query: silencesQuery, status: 200, response: r.silencesResponse },
  { method: 'post', path: '/v1/silences', summary: 'Create a silence', tag: 'alerts', access: 'admin', body: json(newSilenceSchema), status: 201, response: r.silenceResponse },
  { method: 'delete', path: '/v1/silences/:id', summary: 'Expire a silence now', tag: 'alerts', access: 'admin', params: silenceIdParam, status: 200, response: r.silenceResponse },
  { method: 'get', path: '/v1/tenants/:tenant/subscriptions', summary: "A tenant's notification subscription", tag: 'alerts', access: 'tenant', params: tenantParam, status: 200, response: r.subscriptionResponse },
  { method: 'put', path: '/v1/tenants/:tenant/subscriptions', summary: "Replace a tenant's notification subscription", tag: 'alerts', access: 'tenant', params: tenantParam, body: json(subscriptionBodySchema), status: 200, response: r.subscriptionResponse },
  { method: 'get', path: '/v1/reports/value', summary: 'The value report of a tenant for a period (JSON, or HTML with format=html)', tag: 'reports', access: 'tenant', query: valueReportQuery, status: 200, response: r.valueReportResponse, produces: HTML },
  { method: 'get', path: '/login', summary: 'Sign-in page (paste an API key)', tag: 'pages', access: 'none', status: 200, produces: HTML },
  { method: 'post', path: '/login', summary: 'Sign in with an API key (form post); redirects to the page it opens', tag: 'pages', access: 'none', body: { raw: ['application/x-www-form-urlencoded'] }, status: 303, produces: HTML },
  { method: 'get', path: '/logout', summary: 'Sign out', tag: 'pages', access: 'none', status: 303, produces: HTML },
  { method: 'get', path: '/', summary: 'Operator overview page', tag: 'pages', access: 'page', status: 200, produces: HTML },
  { method: 'get', path: '/adoption', summary: 'Adoption dashboard page', tag: 'pages', access: 'page', status: 200, produces: HTML },
  { method: 'get', path: '/status/:tenant', summary: "A tenant's status page", tag: 'pages', access: 'page', params: pageTenant, status: 200, produces: HTML },
  { method: 'get', path: '/status/:tenant/runs/:run', summary: "A tenant's run report page", tag: 'pages', access: 'page', params: pageTenant.extend(runParam.shape), status: 200, produces: HTML },
  { method: 'get', path: '/reports/:tenant', summary: "A tenant's value report page", tag: 'pages', access: 'page', params: pageTenant, status: 200, produces: HTML },
];
