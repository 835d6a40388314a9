import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestService, type TestService } from '../support/service.js';

// Each input that used to be accepted and then refused by the store at flush — blocking
// every later write, for every tenant — is now refused at the door with a 4xx naming the
// field, and ordinary rows of another tenant flow on, counted once.

let svc: TestService;
before(async () => {
  svc = await startTestService();
});
after(async () => {
  await svc.stop();
});

const postEvents = (body: unknown) =>
  fetch(`${svc.url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const postSpans = (body: unknown) =>
  fetch(`${svc.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

const nanos = (ms: number) => `${BigInt(ms) * 1_000_000n}`;
const str = (key: string, value: string) => ({ key, value: { stringValue: value } });

/** An OTLP/JSON request with one run span per entry (attributes as given), all for tenant mallory. */
function runSpans(entries: { attrs?: { key: string; value: { stringValue: string } }[]; at?: number }[], traceId = 'b'.repeat(32)) {
  const tenant = 'mallory';
  return {
    resourceSpans: [
      {
        resource: { attributes: [str('tenant.id', tenant), str('integration.id', 'hubspot'), str('service.name', 'runner')] },
        scopeSpans: [
          {
            scope: { name: 'test' },
            spans: entries.map((e, i) => {
              const at = e.at ?? Date.now() - 60_000;
              return {
                traceId,
                spanId: (i + 1).toString(16).padStart(16, '0'),
                name: 'run',
                kind: 1,
                startTimeUnixNano: nanos(at),
                endTimeUnixNano: nanos(at + 1000),
                attributes: [str('integration.flow', 'contacts.import'), str('integration.run.id', `run-${i}`), ...(e.attrs ?? [])],
                status: { code: 1 },
              };
            }),
          },
        ],
      },
    ],
  };
}

describe('poison inputs are refused at the door', () => {
  test('money beyond what the store holds, in either sign, is a per-item rejection naming record.value', async () => {
    const base = { type: 'record.synced', tenant: 'mallory', integration: 'hubspot', flow: 'contacts.import', run: 'r1' };
    // 1e308 is sent as JSON text: JSON.stringify would keep it, and 1e999 would parse as Infinity.
    const body = `[${JSON.stringify({ ...base, record: { id: 'A', value: 1 } }).replace('"value":1', '"value":1e308')},${JSON.stringify({ ...base, record: { id: 'B', value: 1 } }).replace('"value":1', '"value":-1e308')},${JSON.stringify({ ...base, record: { id: 'C', value: 1 } }).replace('"value":1', '"value":1e999')}]`;
    const res = await fetch(`${svc.url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    assert.equal(res.status, 202);
    const out = await res.json();
    assert.equal(out.accepted, 0);
    assert.deepEqual(out.rejected.map((r: { index: number }) => r.index), [0, 1, 2]);
    for (const r of out.rejected) assert.match(r.error, /^record\.value: (must be between -1000000000000 and 1000000000000|.*received Infinity)$/);
  });

  test('span counts and values beyond their columns are refused through OTLP partial success, naming the attribute', async () => {
    const res = await postSpans(
      runSpans([
        { attrs: [str('integration.run.records_total', '1e30')] },
        { attrs: [str('integration.run.records_total', '-5')] },
        { attrs: [str('record.id', 'R1'), str('record.value', '1e308')] },
        { attrs: [str('record.id', 'R2'), str('record.value', 'lots')] },
        { attrs: [str('integration.run.records_total', '12')] },
      ]),
    );
    assert.equal(res.status, 200);
    const out = await res.json();
    assert.equal(Number(out.partialSuccess.rejectedSpans), 4);
    assert.match(out.partialSuccess.errorMessage, /integration\.run\.records_total: must be a whole number from 0 to 4294967295/);
    assert.match(out.partialSuccess.errorMessage, /record\.value: must be between/);
    assert.match(out.partialSuccess.errorMessage, /record\.value: must be a number/);
  });

  test('timestamps outside the accepted window are refused; within it, rows spread over many months and days are stored', async () => {
    const day = 24 * 3600 * 1000;
    const old = Date.now() - 401 * day;
    const events = Array.from({ length: 14 }, (_, m) => ({
      id: `spread-${m}`, type: 'record.synced', tenant: 'mallory', integration: 'hubspot', flow: 'contacts.import', run: 'r-spread',
      time: new Date(Date.now() - m * 28 * day - 3_600_000).toISOString(), record: { id: `S-${m}` },
    }));
    const res = await postEvents([...events, { ...events[0], id: 'too-old', time: new Date(old).toISOString() }]);
    const out = await res.json();
    assert.equal(out.accepted, 14);
    assert.match(out.rejected[0].error, /time: is more than 400 days in the past/);

    const spans = await postSpans(runSpans(Array.from({ length: 120 }, (_, i) => ({ at: Date.now() - i * day - 3_600_000 })), 'c'.repeat(32)));
    assert.equal(spans.status, 200);
    assert.equal(Number((await spans.json()).partialSuccess?.rejectedSpans ?? 0), 0);
    await svc.ingest.batcher.flush();
    const [n] = await svc.driver.query<{ n: string }>({ name: 't', sql: "SELECT count() AS n FROM otel_traces WHERE TraceId = {t:String}", params: { t: 'c'.repeat(32) } });
    assert.equal(Number(n.n), 120, 'spans over 120 days (more partitions than one insert may touch) are all stored');
  });

  test('after all of the above, another tenant’s ordinary events are stored and counted exactly once', async () => {
    const events = Array.from({ length: 5 }, (_, i) => ({
      id: `ok-${i}`, type: 'record.synced', tenant: 'olivia', integration: 'salesforce', flow: 'orders.export', run: 'r-ok', record: { id: `ORD-${i}`, value: 10, currency: 'USD' },
    }));
    assert.equal((await postEvents(events)).status, 202);
    assert.equal((await postEvents(events)).status, 202, 'a re-send');
    await svc.ingest.batcher.flush();
    const health = await (await fetch(`${svc.url}/v1/health?tenant=olivia`)).json();
    const flow = health.connections[0].flows[0];
    assert.equal(flow.records.synced, 5);
    assert.equal(svc.ingest.batcher.backlogSegments(), 0);
    const ready = await fetch(`${svc.url}/readyz`);
    assert.equal(ready.status, 200);
  });
});
