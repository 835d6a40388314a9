import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SpanStatusCode } from '@opentelemetry/api';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { defaultClassificationFile, loadClassificationRules } from '../../src/ingest/classify.js';
import { decodeTraceRequest } from '../../src/ingest/otlp/decode.js';
import { ATTR, mapSpans } from '../../src/ingest/spans.js';
import { createSyncwatch, SDK_ATTR, SyncwatchError, type FailureInfo, type Syncwatch } from '@syncwatch/sdk';

const rules = loadClassificationRules(defaultClassificationFile());
const ids = { tenant: 'acme', integration: 'hubspot', flow: 'contacts.import', runId: 'run-7' };

/** An SDK over an in-memory exporter; `spans()` reads what it recorded. */
function recordingSdk(): { sdk: Syncwatch; spans: () => ReadableSpan[] } {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  return { sdk: createSyncwatch({ tracer: provider.getTracer('test') }), spans: () => [...exporter.getFinishedSpans()] };
}

/** What the server makes of recorded spans: they go through the real OTLP/JSON decoder and span mapping. */
function serverView(spans: ReadableSpan[]) {
  const body = Buffer.from(JsonTraceSerializer.serializeRequest(spans)!);
  return mapSpans(decodeTraceRequest(body, 'json'), rules, Date.now()).eventRows;
}

/** The category · code the server gives a record whose callback threw `error`. */
async function classify(error: unknown, failure?: FailureInfo): Promise<string> {
  const { sdk, spans } = recordingSdk();
  const run = sdk.startRun(ids);
  const result = await run.record({ id: 'C-1' }, () => Promise.reject(error), { failure });
  assert.equal(result.ok, false);
  await run.end();
  const row = serverView(spans()).find((r) => r.type === 'record.failed');
  return `${row?.failure_category} · ${row?.failure_code}`;
}

const systemError = (code: string, message: string) => Object.assign(new Error(message), { code, syscall: 'connect', address: '10.0.0.7', port: 443 });

describe('the runner SDK', () => {
  it('writes the attribute names the server reads: the server takes them from the SDK package (one copy)', () => {
    assert.equal(ATTR, SDK_ATTR);
  });

  it('makes record spans children of the run span, counts records and never rejects on a bad record', async () => {
    const { sdk, spans } = recordingSdk();
    const run = sdk.startRun({ ...ids, connection: 'hubspot-eu' });
    const ok = await run.record({ id: 1001, type: 'contact', value: 12.5, currency: 'EUR' }, (span) => {
      span.setAttribute('crm.id', 'x');
      return 'pushed';
    });
    const bad = await run.record({ id: 'C-2', type: 'contact' }, () => {
      throw new Error('boom');
    });
    run.skip({ id: 'C-3', type: 'contact' }, 'duplicate of C-1');
    await run.end();

    assert.deepEqual(ok, { ok: true, value: 'pushed' });
    assert.equal(bad.ok, false);
    assert.deepEqual(run.recordCounts, { synced: 1, failed: 1, skipped: 1 });
    const all = spans();
    const runSpan = all.find((s) => s.attributes[SDK_ATTR.role] === 'run')!;
    assert.equal(runSpan.attributes[SDK_ATTR.recordsTotal], 3);
    assert.equal(runSpan.status.code, SpanStatusCode.UNSET);
    const records = all.filter((s) => s.attributes[SDK_ATTR.role] === 'record');
    assert.equal(records.length, 3);
    for (const r of records) {
      assert.equal(r.parentSpanContext?.spanId, runSpan.spanContext().spanId);
      assert.equal(r.spanContext().traceId, runSpan.spanContext().traceId);
      assert.equal(r.attributes[SDK_ATTR.tenant], 'acme');
      assert.equal(r.attributes[SDK_ATTR.connection], 'hubspot-eu');
      assert.equal(r.attributes[SDK_ATTR.run], 'run-7');
    }
    assert.equal(records[0].attributes[SDK_ATTR.record], '1001');
    assert.equal(records[0].attributes[SDK_ATTR.recordValue], 12.5);
    assert.equal(records[1].status.code, SpanStatusCode.ERROR);
    assert.equal(records[1].events[0].name, 'exception');
    assert.equal(records[2].attributes[SDK_ATTR.recordStatus], 'skipped');

    const types = serverView(all).map((r) => r.type);
    assert.deepEqual(types.sort(), ['record.failed', 'record.skipped', 'record.synced', 'run.started', 'run.succeeded']);
  });

  it('ends a run only after its records in flight, and refuses records after the end', async () => {
    const { sdk, spans } = recordingSdk();
    const run = sdk.startRun(ids);
    const slow = run.record({ id: 'C-1' }, () => new Promise((r) => setTimeout(r, 50)));
    await run.end();
    assert.equal((await slow).ok, true);
    assert.equal(spans().at(-1)?.attributes[SDK_ATTR.role], 'run', 'the run span ends last');
    await assert.rejects(run.record({ id: 'C-2' }, () => 1), /has ended/);
    assert.throws(() => run.skip({ id: 'C-3' }, 'late'), /has ended/);
    assert.equal(run.end(), run.end(), 'ending twice is the same end');
  });

  it('gives a run a random id when the runner has none', () => {
    const { sdk } = recordingSdk();
    const a = sdk.startRun({ tenant: 't', integration: 'i', flow: 'f' });
    const b = sdk.startRun({ tenant: 't', integration: 'i', flow: 'f' });
    assert.match(a.runId, /^[0-9a-f-]{36}$/);
    assert.notEqual(a.runId, b.runId);
  });

  it('marks a run that failed, with what its error says', async () => {
    const { sdk, spans } = recordingSdk();
    const run = sdk.startRun(ids);
    await run.fail(systemError('ENOSPC', 'ENOSPC: no space left on device'));
    const runSpan = spans()[0];
    assert.equal(runSpan.status.code, SpanStatusCode.ERROR);
    assert.equal(runSpan.attributes['error.type'], 'ENOSPC');
    const failed = serverView(spans()).find((r) => r.type === 'run.failed');
    assert.deepEqual([failed?.failure_category, failed?.failure_code], ['infra', 'resources']);
  });

  it('reports what common error shapes say, so the server classifies them', async () => {
    const cases: [string, unknown, string, FailureInfo?][] = [
      ['err.status 422', Object.assign(new Error('Unprocessable'), { status: 422 }), 'data · validation'],
      ['err.statusCode 503', Object.assign(new Error('Service Unavailable'), { statusCode: 503 }), 'endpoint · unavailable'],
      ['err.response.status 401', Object.assign(new Error('Request failed'), { response: { status: 401 } }), 'endpoint · auth'],
      ['fetch Headers Retry-After', Object.assign(new Error('busy'), { response: { status: 503, headers: new Headers({ 'Retry-After': '120' }) } }), 'endpoint · rate_limited'],
      ['plain headers Retry-After', Object.assign(new Error('slow down'), { response: { status: 429, headers: { 'retry-after': '5' } } }), 'endpoint · rate_limited'],
      ['ECONNREFUSED', systemError('ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.7:443'), 'endpoint · unavailable'],
      ['fetch failed, cause ECONNRESET', new TypeError('fetch failed', { cause: systemError('ECONNRESET', 'read ECONNRESET') }), 'endpoint · unavailable'],
      ['connect ETIMEDOUT', systemError('ETIMEDOUT', 'connect ETIMEDOUT 10.0.0.7:443'), 'endpoint · timeout'],
      ['SyncwatchError category', new SyncwatchError('heap limit', { category: 'infra', code: 'resources' }), 'infra · resources'],
      ['SyncwatchError code only', new SyncwatchError('refresh refused', { code: 'invalid_grant' }), 'endpoint · auth'],
      ['failure option', new Error('already in CRM'), 'data · conflict', { category: 'data', code: 'conflict' }],
      ['a thrown string', 'something odd', 'infra · unknown'],
    ];
    for (const [name, error, want, failure] of cases) assert.equal(await classify(error, failure), want, name);
  });

  it('puts the cause of a wrapped error in the failure message', async () => {
    const { sdk, spans } = recordingSdk();
    const run = sdk.startRun(ids);
    await run.record({ id: 'C-1' }, () => Promise.reject(new TypeError('fetch failed', { cause: systemError('ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.7:443') })));
    await run.end();
    const record = spans().find((s) => s.attributes[SDK_ATTR.record] === 'C-1');
    assert.equal(record?.status.message, 'fetch failed: connect ECONNREFUSED 10.0.0.7:443');
    assert.equal(record?.attributes['server.address'], '10.0.0.7');
  });
});
