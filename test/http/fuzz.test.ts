import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { startTestService, type TestService } from '../support/service.js';

// Issue 9: random and mutated requests over every route of the app never get a 5xx, and
// the service keeps answering. Routes are read from the express app itself, so a route
// added later is fuzzed without touching this file. Runs are bounded (about a minute on
// a loaded 2-core CI machine); fast-check prints the seed and the shrunk request on failure.
const RUNS = 1200;

let svc: TestService;
before(async () => {
  svc = await startTestService();
});
after(async () => svc.stop());

interface Route {
  method: string;
  path: string;
}

/** Every method + path the express app routes (nested routers included). */
function routesOf(app: { router: { stack: Layer[] } }): Route[] {
  const routes: Route[] = [];
  const walk = (stack: Layer[]) => {
    for (const layer of stack) {
      if (layer.route) {
        const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
        for (const method of Object.keys(layer.route.methods)) for (const path of paths) routes.push({ method: method.toUpperCase(), path });
      } else if (layer.handle?.stack) walk(layer.handle.stack);
    }
  };
  walk(app.router.stack);
  return routes;
}
interface Layer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

const NOW = new Date().toISOString();
const SECRET = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;
const span = { traceId: 'ab'.repeat(16), spanId: 'cd'.repeat(8), name: 'run', kind: 1, startTimeUnixNano: String(BigInt(Date.now() - 1000) * 1_000_000n), endTimeUnixNano: String(BigInt(Date.now()) * 1_000_000n), attributes: [{ key: 'tenant.id', value: { stringValue: 'acme' } }, { key: 'integration.run.id', value: { stringValue: 'r1' } }] };

/** A valid body per route, the seed that mutations start from. */
const TEMPLATES: Record<string, { type: string; body: unknown }> = {
  'POST /v1/events': { type: 'application/json', body: [{ id: 'e1', type: 'record.synced', time: NOW, tenant: 'acme', integration: 'hubspot', flow: 'contacts', run: 'r1', record: { id: 'c1', value: 12.5, currency: 'USD' } }] },
  'POST /v1/traces': { type: 'application/json', body: { resourceSpans: [{ resource: { attributes: [{ key: 'integration.id', value: { stringValue: 'hubspot' } }] }, scopeSpans: [{ spans: [span] }] }] } },
  'POST /v1/silences': { type: 'application/json', body: { matchers: [{ label: 'tenant', op: '=~', value: 'ac.*' }], ends_at: new Date(Date.now() + 3_600_000).toISOString(), comment: 'fuzz' } },
  'PUT /v1/tenants/:tenant/subscriptions': { type: 'application/json', body: { emails: ['ops@acme.example'], webhooks: [{ url: 'http://127.0.0.1:9/hook', secret: SECRET }], delivery: 'immediate' } },
  'POST /v1/notifications/test': { type: 'application/json', body: { channel: 'webhook', url: 'http://127.0.0.1:9/hook', secret: SECRET } },
  'POST /login': { type: 'application/x-www-form-urlencoded', body: { key: 'not-a-key', next: '/status/acme' } },
};

const QUERY_NAMES = ['tenant', 'integration', 'flow', 'run', 'record', 'record_id', 'from', 'to', 'window', 'period', 'since', 'limit', 'status', 'state', 'group_by', 'bucket', 'category', 'code', 'format', 'next'];
const HOSTILE = ['', '%ZZ', '%', '..', '%2F', '%00', 'ü', '9999-01-01T00:00:00Z', '0000-01-01', '-0001-01-01T00:00:00Z', '2026-W53', '9999-12', '1e308', '-1', 'NaN', '30d', '99999d', '2026-11-01', NOW, 'a'.repeat(300), '[]', '{}', 'null'];

const text = fc.oneof(fc.constantFrom(...HOSTILE), fc.string({ maxLength: 24 }), fc.string({ unit: 'binary', maxLength: 12 }));
/** A path segment: plain, percent-encoded or left raw (bad encodings included). */
const segment = fc.oneof(fc.constantFrom('acme', 'r1', 'c1'), text.map(encodeURIComponent), fc.constantFrom('%ZZ', '%', '%E0%A4%A', '..', '%2e%2e'));
const query = fc.dictionary(fc.constantFrom(...QUERY_NAMES), text, { maxKeys: 4 }).map((q) => new URLSearchParams(q).toString());

/** Replaces the n-th node (depth-first) of `value` with `replacement`. */
function replaceNth(value: unknown, n: number, replacement: unknown): unknown {
  let count = 0;
  const visit = (v: unknown): unknown => {
    if (count++ === n) return replacement;
    if (Array.isArray(v)) return v.map(visit);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, visit(x)]));
    return v;
  };
  return visit(value);
}

function encodeBody(type: string, body: unknown): string {
  if (type === 'application/x-www-form-urlencoded' && body && typeof body === 'object' && !Array.isArray(body)) {
    return new URLSearchParams(Object.entries(body).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)])).toString();
  }
  return JSON.stringify(body) ?? '';
}

/** A body for a route: its template, mutated, replaced by any JSON, or raw text under any content type. */
function bodyFor(key: string) {
  const template = TEMPLATES[key] ?? { type: 'application/json', body: {} };
  return fc.oneof(
    fc.constant({ type: template.type, body: encodeBody(template.type, template.body) }),
    fc.tuple(fc.nat({ max: 40 }), fc.jsonValue({ maxDepth: 3 })).map(([n, v]) => ({ type: template.type, body: encodeBody(template.type, replaceNth(template.body, n, v)) })),
    fc.jsonValue({ maxDepth: 4 }).map((v) => ({ type: template.type, body: JSON.stringify(v) })),
    fc.tuple(fc.constantFrom('application/json', 'text/plain', 'application/x-ndjson', 'application/x-protobuf', 'application/x-www-form-urlencoded', ''), fc.string({ maxLength: 200 })).map(([type, body]) => ({ type, body })),
  );
}

test('random and mutated requests to every route never get a 5xx, and the service keeps answering', async (t) => {
  const app = svc.server.listeners('request')[0] as unknown as { router: { stack: Layer[] } };
  const routes = routesOf(app);
  assert.ok(routes.length >= 25, `found ${routes.length} routes`);
  const request = fc
    .constantFrom(...routes)
    .chain((route) => {
      const names = route.path.match(/:\w+/g) ?? [];
      return fc.record({
        route: fc.constant(route),
        params: fc.tuple(...names.map(() => segment)),
        query,
        body: route.method === 'GET' || route.method === 'DELETE' ? fc.constant(null) : bodyFor(`${route.method} ${route.path}`),
      });
    });

  let sent = 0;
  const serverErrors: string[] = [];
  await fc.assert(
    fc.asyncProperty(request, async ({ route, params, query: q, body }) => {
      let i = 0;
      const path = route.path.replace(/:\w+/g, () => params[i++]);
      const url = `${svc.url}${path}${q ? `?${q}` : ''}`;
      const headers: Record<string, string> = body?.type ? { 'content-type': body.type } : {};
      const res = await fetch(url, { method: route.method, headers, body: body?.body, redirect: 'manual' });
      await res.arrayBuffer();
      sent++;
      if (res.status >= 500) serverErrors.push(`${route.method} ${path}?${q} → ${res.status}`);
      return res.status < 500;
    }),
    { numRuns: RUNS },
  );
  t.diagnostic(`fuzz: ${sent} requests over ${routes.length} routes, ${serverErrors.length} 5xx`);
  assert.deepEqual(serverErrors, []);
  assert.equal((await fetch(`${svc.url}/healthz`)).status, 200);
  assert.equal((await fetch(`${svc.url}/v1/health`)).status, 200);
});
