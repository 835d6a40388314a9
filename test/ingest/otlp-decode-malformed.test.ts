import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import protobuf from 'protobufjs';
import { decodeTraceRequest, OtlpDecodeError, type OtlpEncoding } from '../../src/ingest/otlp/decode.js';

const PROTO = fileURLToPath(new URL('../../src/ingest/otlp/otlp.proto', import.meta.url));
const Request = protobuf.loadSync(PROTO).lookupType('opentelemetry.proto.ExportTraceServiceRequest');

/** Asserts that decoding fails with an OtlpDecodeError whose message matches `message`. */
function assertRejected(body: Buffer | string, encoding: OtlpEncoding, message: RegExp): void {
  assert.throws(
    () => decodeTraceRequest(Buffer.from(body), encoding),
    (err: unknown) => {
      assert.ok(err instanceof OtlpDecodeError, `expected OtlpDecodeError, got ${String(err)}`);
      assert.equal(err.code, 'invalid_otlp');
      assert.match(err.message, message);
      return true;
    },
  );
}

/** A protobuf request whose second scope holds four spans, the last with the given ids. */
function protobufWithIds(traceId: Buffer, spanId: Buffer): Buffer {
  const ok = { traceId: Buffer.alloc(16, 1), spanId: Buffer.alloc(8, 2) };
  const spans = [ok, ok, ok, { traceId, spanId }];
  return Buffer.from(Request.encode({ resourceSpans: [{ scopeSpans: [{ spans: [ok] }, { spans }] }] }).finish());
}

/** A JSON request whose second scope holds four spans, the last with `span` merged in. */
function jsonWithSpan(span: Record<string, unknown>): string {
  const ok = { traceId: 'ab'.repeat(16), spanId: 'cd'.repeat(8) };
  const spans = [ok, ok, ok, { ...ok, ...span }];
  return JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [ok] }, { spans }] }] });
}

const varint = (n: number) => Buffer.from(protobuf.Writer.create().uint32(n).finish());

/** Protobuf field `field` (wire type 2) holding `payload`. */
function lengthDelimited(field: number, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from([(field << 3) | 2]), varint(payload.length), payload]);
}

/**
 * A one-span request whose attribute is an array nested `depth` levels deep. Written by hand,
 * without recursion, so that hostile depths can be built at all.
 */
function protobufWithNestedValue(depth: number): Buffer {
  // AnyValue{array_value(5): ArrayValue{values(1): …}}, innermost an empty AnyValue.
  // Sizes are computed inside out, then the headers written outside in.
  const valueSizes = [0];
  const arraySizes: number[] = [];
  for (let d = 1; d < depth; d++) {
    arraySizes.push(1 + varint(valueSizes[d - 1]).length + valueSizes[d - 1]);
    valueSizes.push(1 + varint(arraySizes[d - 1]).length + arraySizes[d - 1]);
  }
  const parts: Buffer[] = [];
  for (let d = depth - 1; d >= 1; d--) {
    parts.push(Buffer.from([0x2a]), varint(arraySizes[d - 1]), Buffer.from([0x0a]), varint(valueSizes[d - 1]));
  }
  const value = Buffer.concat(parts);
  const keyValue = Buffer.concat([lengthDelimited(1, Buffer.from('deep')), lengthDelimited(2, value)]);
  const span = Buffer.concat([lengthDelimited(1, Buffer.alloc(16, 1)), lengthDelimited(2, Buffer.alloc(8, 2)), lengthDelimited(9, keyValue)]);
  return lengthDelimited(1, lengthDelimited(2, lengthDelimited(2, span)));
}

/** Every copy of `root` with one value (object member or array item) replaced by `replacement`. */
function* withOneValueReplaced(root: unknown, replacement: unknown): Generator<unknown> {
  if (root === null || typeof root !== 'object') return;
  for (const key of Object.keys(root)) {
    const child = (root as Record<string, unknown>)[key];
    const copy = (value: unknown) => (Array.isArray(root) ? root.map((v, i) => (String(i) === key ? value : v)) : { ...root, [key]: value });
    yield copy(replacement);
    for (const mutated of withOneValueReplaced(child, replacement)) yield copy(mutated);
  }
}

/** Deterministic pseudo-random bytes (mulberry32), so a failure can be replayed. */
function randomBytes(seed: number, length: number): Buffer {
  const out = Buffer.alloc(length);
  let a = seed;
  for (let i = 0; i < length; i++) {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    out[i] = (t ^ (t >>> 14)) & 0xff;
  }
  return out;
}

async function exportedRunSpan(encoding: OtlpEncoding = 'protobuf'): Promise<Buffer> {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const span = provider.getTracer('runner').startSpan('orders.export', { attributes: { 'record.id': 'ORD-1' } });
  span.end();
  const serializer = encoding === 'json' ? JsonTraceSerializer : ProtobufTraceSerializer;
  const body = Buffer.from(serializer.serializeRequest([...exporter.getFinishedSpans()])!);
  await provider.shutdown();
  return body;
}

describe('rejecting malformed OTLP protobuf bodies', () => {
  it('rejects a body that is not protobuf, saying so', () => {
    assertRejected('this is not protobuf', 'protobuf', /^body is not a protobuf ExportTraceServiceRequest: .*offset/);
  });

  it('rejects a truncated export', async () => {
    const body = await exportedRunSpan();
    assert.equal(decodeTraceRequest(body, 'protobuf').length, 1);
    assertRejected(body.subarray(0, body.length - 5), 'protobuf', /^body is not a protobuf ExportTraceServiceRequest: index out of range/);
  });

  it('rejects a trace id that is not 16 bytes, naming the span', () => {
    assertRejected(
      protobufWithIds(Buffer.alloc(4, 1), Buffer.alloc(8, 2)),
      'protobuf',
      /^resourceSpans\[0\]\.scopeSpans\[1\]\.spans\[3\]\.traceId: expected 16 bytes, got 4$/,
    );
  });

  it('rejects a missing span id', () => {
    assertRejected(protobufWithIds(Buffer.alloc(16, 1), Buffer.alloc(0)), 'protobuf', /spans\[3\]\.spanId: expected 8 bytes, got 0$/);
  });

  it('accepts attribute values nested 32 levels deep and rejects deeper ones, naming the attribute', () => {
    assert.equal(decodeTraceRequest(protobufWithNestedValue(32), 'protobuf').length, 1);
    assertRejected(protobufWithNestedValue(33), 'protobuf', /^resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]\.attributes\[0\]\.value: nested more than 32 levels deep$/);
  });

  it('rejects messages nested thousands deep instead of exhausting the stack', () => {
    assertRejected(protobufWithNestedValue(100_000), 'protobuf', /^body: protobuf messages nested too deeply to decode$/);
  });

  it('never throws anything but OtlpDecodeError, whatever the bytes', async () => {
    const valid = await exportedRunSpan();
    const inputs = [valid.subarray(0, 1), Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])];
    for (let seed = 1; seed <= 2000; seed++) inputs.push(randomBytes(seed, 1 + (seed % 300)));
    // Flip single bytes of a real export: mostly still well-formed framing with nonsense inside.
    for (let i = 0; i < valid.length; i++) inputs.push(Buffer.from(valid.map((b, j) => (j === i ? b ^ 0x5a : b))));
    for (const input of inputs) {
      for (const encoding of ['protobuf', 'json'] as const) {
        try {
          assert.ok(Array.isArray(decodeTraceRequest(input, encoding)));
        } catch (err) {
          assert.ok(err instanceof OtlpDecodeError, `${encoding} ${input.toString('hex')}: ${String(err)}`);
        }
      }
    }
  });
});

describe('rejecting malformed OTLP/JSON bodies', () => {
  it('never throws anything but OtlpDecodeError, whatever value sits where', async () => {
    const exported = JSON.parse((await exportedRunSpan('json')).toString());
    const replacements = [null, true, -1, 1.5, 2 ** 64, '', 'x', '18446744073709551616', [], [null], {}, { stringValue: 1 }];
    for (const replacement of replacements) {
      for (const mutated of withOneValueReplaced(exported, replacement)) {
        try {
          assert.ok(Array.isArray(decodeTraceRequest(Buffer.from(JSON.stringify(mutated)), 'json')));
        } catch (err) {
          assert.ok(err instanceof OtlpDecodeError, `${JSON.stringify(mutated)}: ${String(err)}`);
          assert.match(err.message, /^(body|resourceSpans)/);
        }
      }
    }
  });

  it('rejects a body that is not JSON, with the parser\'s reason', () => {
    assertRejected('{"resourceSpans": [}', 'json', /^body is not valid JSON: Unexpected token/);
  });

  it('rejects JSON that is not an object', () => {
    assertRejected('[]', 'json', /^body: expected an object, got array$/);
    assertRejected('"spans"', 'json', /^body: expected an object, got string$/);
    assertRejected('null', 'json', /^body: expected an object, got null$/);
  });

  it('rejects fields of the wrong type, naming where', () => {
    assertRejected('{"resourceSpans": {}}', 'json', /^resourceSpans: expected an array, got object$/);
    assertRejected(jsonWithSpan({ name: 42 }), 'json', /^resourceSpans\[0\]\.scopeSpans\[1\]\.spans\[3\]\.name: expected a string, got number$/);
    assertRejected(jsonWithSpan({ startTimeUnixNano: 'yesterday' }), 'json', /spans\[3\]\.startTimeUnixNano: expected a non-negative integer/);
    assertRejected(jsonWithSpan({ kind: 'SERVER' }), 'json', /spans\[3\]\.kind: expected a SpanKind integer or one of SPAN_KIND_UNSPECIFIED/);
  });

  it('rejects trace and span ids that are not hex of the right length', () => {
    assertRejected(
      jsonWithSpan({ traceId: 'abc' }),
      'json',
      /^resourceSpans\[0\]\.scopeSpans\[1\]\.spans\[3\]\.traceId: expected 32 hex characters, got "abc"$/,
    );
    // Base64 (the generic proto3 JSON form for bytes) is not OTLP/JSON: ids are hex.
    assertRejected(jsonWithSpan({ spanId: 'AAAAAAAAAAE=' }), 'json', /spans\[3\]\.spanId: expected 16 hex characters, got "AAAAAAAAAAE="$/);
    assertRejected(jsonWithSpan({ parentSpanId: 'zz'.repeat(8) }), 'json', /spans\[3\]\.parentSpanId: expected 16 hex characters or an empty string/);
    assertRejected(jsonWithSpan({ links: [{ traceId: 'ab'.repeat(16) }] }), 'json', /spans\[3\]\.links\[0\]\.spanId: expected 16 hex characters, got nothing$/);
  });

  it('rejects an attribute value that sets two value fields', () => {
    const attributes = [{ key: 'k', value: { stringValue: 'x', intValue: '1' } }];
    assertRejected(jsonWithSpan({ attributes }), 'json', /spans\[3\]\.attributes\[0\]\.value: expected one value field, got stringValue and intValue$/);
  });

  it('accepts attribute values nested 32 levels deep and rejects deeper ones, naming the attribute', () => {
    const nested = (depth: number) => '{"arrayValue":{"values":['.repeat(depth - 1) + '{"intValue":1}' + ']}}'.repeat(depth - 1);
    const withValue = (depth: number) => jsonWithSpan({ attributes: [{ key: 'deep', value: JSON.parse(nested(depth)) }] });
    const [span] = decodeTraceRequest(Buffer.from(withValue(32)), 'json').slice(-1);
    assert.equal(span.attributes.deep, '['.repeat(31) + '1' + ']'.repeat(31));
    assertRejected(withValue(33), 'json', /^resourceSpans\[0\]\.scopeSpans\[1\]\.spans\[3\]\.attributes\[0\]\.value: nested more than 32 levels deep$/);
  });

  it('rejects a document nested thousands deep instead of exhausting the stack', () => {
    const depth = 100_000;
    assertRejected('{"a":['.repeat(depth) + ']}'.repeat(depth), 'json', /^body: JSON nested more than 128 levels deep$/);
  });
});
