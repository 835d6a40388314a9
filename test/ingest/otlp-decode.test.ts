import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { context, createTraceState, SpanKind, SpanStatusCode, trace, TraceFlags } from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { decodeTraceRequest, encodeTraceResponse, type OtlpEncoding } from '../../src/ingest/otlp/decode.js';
import type { DecodedSpan } from '../../src/ingest/types.js';

// 2026-01-01T00:00:00Z plus sub-millisecond parts, so nanosecond precision is visible.
const SECOND = 1_767_225_600;
const NS = (nanos: number) => BigInt(SECOND) * 1_000_000_000n + BigInt(nanos);
const LINKED_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const LINKED_SPAN = '00f067aa0ba902b7';

class ValidationError extends Error {
  override name = 'ValidationError';
}

/** A run span with one failed record span under it, recorded by the real OpenTelemetry JS SDK. */
async function recordFailedRun(): Promise<{ spans: ReadableSpan[]; run: ReadableSpan; record: ReadableSpan }> {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'orders-sync', 'tenant.id': 'acme', 'host.cpu.count': 8 }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('syncwatch-runner', '1.4.0');
  const run = tracer.startSpan('orders.export', {
    kind: SpanKind.SERVER,
    startTime: [SECOND, 100],
    attributes: { 'integration.run.id': 'run-42' },
  });
  const record = tracer.startSpan(
    'push order',
    {
      kind: SpanKind.CLIENT,
      startTime: [SECOND, 1_000_001],
      attributes: {
        'record.id': 'ORD-1001',
        'record.value': 1250.5,
        'http.response.status_code': 422,
        'record.synced': false,
        'record.tags': ['priority', 'eu'],
        'retry.delays': [0.5, 2],
      },
      links: [
        {
          context: { traceId: LINKED_TRACE, spanId: LINKED_SPAN, traceFlags: TraceFlags.SAMPLED, traceState: createTraceState('vendor=abc') },
          attributes: { 'link.reason': 'retry-of' },
        },
      ],
    },
    trace.setSpan(context.active(), run),
  );
  record.recordException(new ValidationError('email is required'), [SECOND, 2_000_002]);
  record.setStatus({ code: SpanStatusCode.ERROR, message: 'email is required' });
  record.end([SECOND, 3_000_003]);
  run.setStatus({ code: SpanStatusCode.OK });
  run.end([SECOND, 9_000_009]);
  // Read before shutdown: shutting down the in-memory exporter forgets its spans.
  const spans = [...exporter.getFinishedSpans()];
  await provider.shutdown();
  return { spans, record: spans[0], run: spans[1] };
}

function exportBody(spans: ReadableSpan[], encoding: OtlpEncoding): Buffer {
  const serializer = encoding === 'json' ? JsonTraceSerializer : ProtobufTraceSerializer;
  return Buffer.from(serializer.serializeRequest(spans)!);
}

function decodedByName(spans: ReadableSpan[], encoding: OtlpEncoding): Record<string, DecodedSpan> {
  return Object.fromEntries(decodeTraceRequest(exportBody(spans, encoding), encoding).map((s) => [s.name, s]));
}

const { spans, run, record } = await recordFailedRun();

describe('decoding OTLP trace exports from the OpenTelemetry JS SDK', () => {
  it('decodes the protobuf and the JSON export of the same spans to identical spans', () => {
    const fromProtobuf = decodeTraceRequest(exportBody(spans, 'protobuf'), 'protobuf');
    const fromJson = decodeTraceRequest(exportBody(spans, 'json'), 'json');
    assert.equal(fromProtobuf.length, 2);
    assert.deepStrictEqual(fromJson, fromProtobuf);
  });

  for (const encoding of ['protobuf', 'json'] as const) {
    describe(`as ${encoding}`, () => {
      const decoded = decodedByName(spans, encoding);

      it('keeps trace and span ids as lower-case hex and links a child to its parent', () => {
        const [runSpan, recordSpan] = [decoded['orders.export'], decoded['push order']];
        assert.equal(runSpan.traceId, run.spanContext().traceId);
        assert.match(runSpan.traceId, /^[0-9a-f]{32}$/);
        assert.equal(runSpan.spanId, run.spanContext().spanId);
        assert.equal(runSpan.parentSpanId, '');
        assert.equal(recordSpan.traceId, runSpan.traceId);
        assert.equal(recordSpan.spanId, record.spanContext().spanId);
        assert.equal(recordSpan.parentSpanId, runSpan.spanId);
      });

      it('keeps start and end times as exact nanoseconds', () => {
        assert.equal(decoded['orders.export'].startTimeUnixNano, NS(100));
        assert.equal(decoded['orders.export'].endTimeUnixNano, NS(9_000_009));
        assert.equal(decoded['push order'].startTimeUnixNano, NS(1_000_001));
        assert.equal(decoded['push order'].endTimeUnixNano, NS(3_000_003));
      });

      it('renders attribute values of every type as the Collector ClickHouse exporter does', () => {
        assert.deepStrictEqual(decoded['push order'].attributes, {
          'record.id': 'ORD-1001',
          'record.value': '1250.5',
          'http.response.status_code': '422',
          'record.synced': 'false',
          'record.tags': '["priority","eu"]',
          'retry.delays': '[0.5,2]',
        });
      });

      it('carries the resource attributes and takes the service name from service.name', () => {
        const { resourceAttributes, serviceName } = decoded['push order'];
        assert.equal(serviceName, 'orders-sync');
        assert.equal(resourceAttributes['tenant.id'], 'acme');
        assert.equal(resourceAttributes['host.cpu.count'], '8');
        assert.deepStrictEqual(decoded['orders.export'].resourceAttributes, resourceAttributes);
      });

      it('names span kinds and status codes as the exporter does', () => {
        assert.equal(decoded['orders.export'].kind, 'Server');
        assert.equal(decoded['orders.export'].statusCode, 'Ok');
        assert.equal(decoded['push order'].kind, 'Client');
        assert.equal(decoded['push order'].statusCode, 'Error');
        assert.equal(decoded['push order'].statusMessage, 'email is required');
      });

      it('keeps recorded exceptions as exception events', () => {
        const [event] = decoded['push order'].events;
        assert.equal(event.name, 'exception');
        assert.equal(event.timeUnixNano, NS(2_000_002));
        assert.equal(event.attributes['exception.type'], 'ValidationError');
        assert.equal(event.attributes['exception.message'], 'email is required');
        assert.match(event.attributes['exception.stacktrace'], /ValidationError: email is required/);
      });

      it('keeps links with their ids, trace state and attributes', () => {
        assert.deepStrictEqual(decoded['push order'].links, [
          { traceId: LINKED_TRACE, spanId: LINKED_SPAN, traceState: 'vendor=abc', attributes: { 'link.reason': 'retry-of' } },
        ]);
        assert.deepStrictEqual(decoded['orders.export'].links, []);
      });

      it('records the instrumentation scope name and version', () => {
        assert.equal(decoded['push order'].scopeName, 'syncwatch-runner');
        assert.equal(decoded['push order'].scopeVersion, '1.4.0');
      });
    });
  }
});

describe('encoding the export response', () => {
  it('is an empty message when every span was accepted', () => {
    assert.equal(encodeTraceResponse(null, 'protobuf').length, 0);
    assert.equal(encodeTraceResponse(null, 'json').toString(), '{}');
  });

  it('reports rejected spans in a form the OpenTelemetry exporter reads back', () => {
    const partial = { rejectedSpans: 2, errorMessage: 'spans without tenant.id were rejected' };
    const fromProtobuf = ProtobufTraceSerializer.deserializeResponse(encodeTraceResponse(partial, 'protobuf'));
    assert.equal(Number(fromProtobuf.partialSuccess?.rejectedSpans), 2);
    assert.equal(fromProtobuf.partialSuccess?.errorMessage, partial.errorMessage);
    const json = encodeTraceResponse(partial, 'json');
    assert.equal(json.toString(), '{"partialSuccess":{"rejectedSpans":"2","errorMessage":"spans without tenant.id were rejected"}}');
    assert.equal(JsonTraceSerializer.deserializeResponse(json).partialSuccess?.errorMessage, partial.errorMessage);
  });
});
