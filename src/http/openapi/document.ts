import { z } from 'zod';
import { errorResponse } from './responses.js';
import { OPERATIONS, type Access, type Operation } from './operations.js';

/*
 * The OpenAPI 3.1 document, generated from the zod schemas the routes validate with (zod's
 * own JSON Schema output, draft 2020-12, which is OpenAPI 3.1's schema dialect). Schemas
 * given an id with `.meta({ id })` become shared components.
 */

type Json = Record<string, unknown>;

const ACCESS: Record<Access, string> = {
  none: 'No key needed.',
  ingest: 'Needs an ingest (or admin) key.',
  admin: 'Needs the admin key.',
  tenant: 'Needs the admin key, or a tenant key for that tenant.',
  page: 'A web page: needs a session from /login, or a signed link (tenant pages), or an admin key.',
};

const ERRORS: Record<string, string> = {
  '400': 'Invalid parameters or body',
  '401': 'No or wrong API key',
  '403': 'The key may not do this',
  '404': 'No such resource',
};

const RETRY_AFTER = { description: 'Seconds to wait before sending the same request again', schema: { type: 'integer', minimum: 0 } };

/** Express `/v1/runs/:run/report` → OpenAPI `/v1/runs/{run}/report`. */
export const openApiPath = (path: string) => path.replace(/:([A-Za-z_]\w*)/g, '{$1}');

/** Builds the document (the server URL is the one clients reach this process at). */
export function buildOpenApiDocument(version: string, serverUrl: string): Json {
  const components: Json = {};
  const toSchema = (schema: z.ZodType, io: 'input' | 'output'): Json => {
    const generated = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' });
    // Shared schemas (`.meta({ id })`) come out in $defs; the document keeps them as components.
    const out = JSON.parse(JSON.stringify(generated).replaceAll('"#/$defs/', '"#/components/schemas/')) as Json;
    Object.assign(components, out.$defs ?? {});
    delete out.$defs;
    delete out.$schema;
    return out;
  };

  toSchema(errorResponse, 'output'); // registers the shared Error component the error answers point to
  const paths: Record<string, Json> = {};
  for (const op of OPERATIONS) {
    (paths[openApiPath(op.path)] ??= {})[op.method] = operation(op, toSchema);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'syncwatch',
      version,
      description: 'Observability and notifications for SaaS integrations. OTLP/gRPC (traces, logs) is served on SYNCWATCH_GRPC_PORT (4317) as well.',
    },
    servers: [{ url: serverUrl }],
    tags: ['ingest', 'insights', 'alerts', 'notifications', 'reports', 'pages', 'operation'].map((name) => ({ name })),
    paths,
    components: {
      schemas: components,
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'An API key: Authorization: Bearer <key>' } },
    },
  };
}

function operation(op: Operation, toSchema: (s: z.ZodType, io: 'input' | 'output') => Json): Json {
  const parameters: Json[] = [];
  for (const [where, schema] of [['path', op.params], ['query', op.query]] as const) {
    if (!schema) continue;
    const shape = toSchema(schema, 'input') as { properties?: Record<string, Json>; required?: string[] };
    for (const [name, property] of Object.entries(shape.properties ?? {})) {
      parameters.push({ name, in: where, required: where === 'path' || (shape.required ?? []).includes(name), schema: property });
    }
  }
  const content: Json = {};
  if (op.response) content['application/json'] = { schema: toSchema(op.response, 'output') };
  for (const type of op.produces ?? []) content[type] ??= {};
  const responses: Json = { [op.status]: { description: 'Success', ...(Object.keys(content).length ? { content } : {}) } };
  const errorContent = { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } };
  if (op.access !== 'none' && op.access !== 'page') {
    for (const [code, description] of Object.entries(ERRORS)) responses[code] = { description, content: errorContent };
  } else if (parameters.length > 0 || op.body) {
    responses['400'] = { description: ERRORS['400'], content: errorContent };
  }
  for (const [code, description] of Object.entries(op.errors ?? {})) {
    responses[code] = { description, content: errorContent, ...(code === '503' ? { headers: { 'Retry-After': RETRY_AFTER } } : {}) };
  }
  const result: Json = {
    operationId: `${op.method}${op.path.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}` || op.method,
    summary: op.summary,
    description: ACCESS[op.access],
    tags: [op.tag],
    ...(parameters.length ? { parameters } : {}),
    responses,
    security: op.access === 'none' ? [] : op.access === 'page' ? [{}, { apiKey: [] }] : [{ apiKey: [] }],
  };
  if (op.body) {
    const bodyContent: Json = {};
    if ('raw' in op.body) for (const type of op.body.raw) bodyContent[type] = { schema: { type: 'string', format: 'binary' } };
    else for (const type of op.body.contentTypes) bodyContent[type] = { schema: toSchema(op.body.schema, 'input') };
    result.requestBody = { required: true, content: bodyContent };
  }
  return result;
}
