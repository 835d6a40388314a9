import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { Express } from 'express';
import { launchBrowser } from '../support/browser.js';
import { exportWith, scenarioSpans } from '../support/otel-scenario.js';
import { startTestService, type TestService } from '../support/service.js';

let svc: TestService;
let doc: any;
before(async () => {
  svc = await startTestService();
  doc = await (await fetch(`${svc.url}/openapi.json`)).json();
});
after(async () => svc.stop());

/** Every `METHOD /path` the express app routes, read from its router (OpenAPI path syntax). */
function appRoutes(app: Express): Set<string> {
  const out = new Set<string>();
  const walk = (stack: any[]) => {
    for (const layer of stack) {
      if (layer.route) {
        const paths: string[] = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
        for (const method of Object.keys(layer.route.methods)) for (const p of paths) out.add(`${method.toUpperCase()} ${p.replace(/:(\w+)/g, '{$1}')}`);
      } else if (layer.handle?.stack) walk(layer.handle.stack);
    }
  };
  walk((app as any).router.stack);
  return out;
}

function documentedRoutes(): Set<string> {
  const out = new Set<string>();
  for (const [p, item] of Object.entries<Record<string, unknown>>(doc.paths)) for (const method of Object.keys(item)) out.add(`${method.toUpperCase()} ${p}`);
  return out;
}

describe('GET /openapi.json', () => {
  test('is an OpenAPI 3.1 document that a maintained validator accepts', async () => {
    assert.equal(doc.openapi, '3.1.0');
    const result = await new Validator().validate(doc);
    assert.deepEqual(result.errors ?? [], []);
    assert.equal(result.valid, true);
  });

  test('describes every route of the app, and no route the app does not have', () => {
    const app = svc.server.listeners('request')[0] as unknown as Express;
    const routes = appRoutes(app);
    const documented = documentedRoutes();
    assert.ok(routes.size > 25, `found only ${routes.size} routes`);
    assert.deepEqual([...routes].filter((r) => !documented.has(r)), [], 'routes missing from the document');
    assert.deepEqual([...documented].filter((r) => !routes.has(r)), [], 'documented routes the app does not have');
  });

  test('query parameters come from the route schemas (names, bounds, enums)', () => {
    const runs = doc.paths['/v1/runs'].get.parameters;
    const limit = runs.find((p: any) => p.name === 'limit');
    assert.deepEqual([limit.schema.minimum, limit.schema.maximum, limit.required], [1, 1000, false]);
    const records = doc.paths['/v1/records'].get.parameters;
    assert.equal(records.find((p: any) => p.name === 'tenant').required, false, 'a tenant key reads its own tenant when it names none');
    const events = doc.paths['/v1/events'].post.requestBody.content['application/json'].schema;
    assert.ok(events.items.properties.type.enum.includes('record.synced'));
  });

  test('real responses of every JSON endpoint validate against the document', async () => {
    const base = Date.now() - 3_600_000;
    await exportWith(new OTLPTraceExporter({ url: `${svc.url}/v1/traces` }), scenarioSpans('acme', 'run-1', base));
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${svc.url}${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      return { status: res.status, body: await res.json() };
    };
    const calls: [string, string, string, unknown?][] = [
      ['POST', '/v1/events', '/v1/events', [{ type: 'integration.enabled', tenant: 'acme', integration: 'quickbooks', time: new Date(base).toISOString() }, { type: 'nope' }]],
      ['GET', '/healthz', '/healthz'],
      ['GET', '/readyz', '/readyz'],
      ['GET', '/v1/records', '/v1/records?tenant=acme&record_id=run-1-2'],
      ['GET', '/v1/health', '/v1/health?tenant=acme'],
      ['GET', '/v1/runs', '/v1/runs?tenant=acme'],
      ['GET', '/v1/runs/{run}/report', '/v1/runs/run-1/report?tenant=acme'],
      ['GET', '/v1/failures', '/v1/failures?tenant=acme'],
      ['GET', '/v1/value', '/v1/value?tenant=acme'],
      ['GET', '/v1/adoption', '/v1/adoption'],
      ['POST', '/v1/silences', '/v1/silences', { matchers: [{ label: 'tenant', value: 'acme' }], ends_at: new Date(Date.now() + 3_600_000).toISOString() }],
      ['GET', '/v1/silences', '/v1/silences'],
      ['PUT', '/v1/tenants/{tenant}/subscriptions', '/v1/tenants/acme/subscriptions', { emails: ['ops@acme.example'] }],
      ['GET', '/v1/tenants/{tenant}/subscriptions', '/v1/tenants/acme/subscriptions'],
      ['GET', '/v1/alerts', '/v1/alerts'],
      ['GET', '/v1/notifications', '/v1/notifications'],
      ['GET', '/v1/reports/value', '/v1/reports/value?tenant=acme'],
    ];
    await svc.ingest.batcher.flush();
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats.default(ajv);
    ajv.addSchema(doc, 'openapi');
    const pointer = (...parts: string[]) => parts.map((p) => p.replaceAll('~', '~0').replaceAll('/', '~1')).join('/');
    for (const [method, path, url, body] of calls) {
      const res = await call(method, url, body);
      const op = doc.paths[path][method.toLowerCase()];
      const expected = Object.keys(op.responses).find((s) => s.startsWith('2'))!;
      assert.equal(String(res.status), expected, `${method} ${url}: ${JSON.stringify(res.body)}`);
      const validate = ajv.compile({ $ref: `openapi#/${pointer('paths', path, method.toLowerCase(), 'responses', expected, 'content', 'application/json', 'schema')}` });
      assert.ok(validate(res.body), `${method} ${url}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(res.body).slice(0, 500)}`);
    }
    // And an error answer validates against the shared Error schema.
    const bad = await call('GET', '/v1/runs?limit=0');
    assert.equal(bad.status, 400);
    const validateError = ajv.compile({ $ref: 'openapi#/components/schemas/Error' });
    assert.ok(validateError(bad.body), ajv.errorsText(validateError.errors));
  });

  test('/docs/api renders the document in a real browser from local files only', async () => {
    const browser = await launchBrowser();
    try {
      const context = await browser.newContext();
      const page = await context.newPage();
      const foreign: string[] = [];
      page.on('request', (req) => {
        if (!req.url().startsWith(svc.url)) foreign.push(req.url());
      });
      await page.goto(`${svc.url}/docs/api`);
      await page.locator('.opblock-summary-path', { hasText: '/v1/runs/{run}/report' }).first().waitFor({ timeout: 30_000 });
      assert.ok((await page.locator('.opblock').count()) >= 30);
      assert.deepEqual(foreign, []);
    } finally {
      await browser.close();
    }
  });
});
