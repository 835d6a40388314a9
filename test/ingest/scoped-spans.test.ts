import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startTestService, type TestService } from '../support/service.js';

// Issue 9, finding 10: an ingest key limited to tenant A could store spans that carry no
// tenant at all (they landed in otel_traces for nobody's key to answer for).
const ADMIN = 'admin-key-scoped-spans-1';
const ACME_INGEST = 'acme-ingest-key-scoped-1';
let svc: TestService;
let dir: string;
before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'syncwatch-scoped-'));
  writeFileSync(path.join(dir, 'config.yaml'), `keys:\n  - key: ${ACME_INGEST}\n    role: ingest\n    tenants: [acme]\n`);
  svc = await startTestService({ SYNCWATCH_ADMIN_KEY: ADMIN, SYNCWATCH_CONFIG: path.join(dir, 'config.yaml') });
});
after(async () => {
  await svc.stop();
  rmSync(dir, { recursive: true, force: true });
});

const NOW_NS = BigInt(Date.now()) * 1_000_000n;
const span = (spanId: string, attributes: Record<string, string>) => ({
  traceId: 'aa'.repeat(16),
  spanId,
  name: 'sync',
  kind: 1,
  startTimeUnixNano: String(NOW_NS - 1_000_000_000n),
  endTimeUnixNano: String(NOW_NS),
  attributes: Object.entries(attributes).map(([key, value]) => ({ key, value: { stringValue: value } })),
});

test('a key limited to a tenant cannot store spans without a tenant; its own tenant’s spans go in', async () => {
  const body = {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'runner' } }] },
        scopeSpans: [{ spans: [span('0000000000000001', { 'integration.id': 'hubspot' }), span('0000000000000002', { 'tenant.id': 'acme', 'integration.id': 'hubspot' })] }],
      },
    ],
  };
  const res = await fetch(`${svc.url}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ACME_INGEST}` },
    body: JSON.stringify(body),
  });
  assert.equal(res.status, 200);
  const answer = (await res.json()) as { partialSuccess?: { rejectedSpans?: string | number; errorMessage?: string } };
  assert.equal(Number(answer.partialSuccess?.rejectedSpans), 1);
  assert.match(answer.partialSuccess?.errorMessage ?? '', /span 0000000000000001: a key limited to tenants must send tenant\.id/);

  await svc.ingest.batcher.flush();
  const stored = await svc.driver.query<{ id: string }>({ name: 'test.spans', sql: 'SELECT SpanId AS id FROM otel_traces ORDER BY id' });
  assert.deepEqual(stored.map((r) => r.id), ['0000000000000002']);
});
