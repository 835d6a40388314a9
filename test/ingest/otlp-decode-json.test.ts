import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeTraceRequest } from '../../src/ingest/otlp/decode.js';

const TRACE_ID = '5b8efff798038103d269b633813fc60c';
const SPAN_ID = 'eee19b7ec3c1b174';

/** An OTLP/JSON body holding one span, with `span` fields merged over a minimal valid span. */
function body(span: Record<string, unknown>, resourceAttributes: unknown[] = []): Buffer {
  return Buffer.from(
    JSON.stringify({
      resourceSpans: [
        {
          resource: { attributes: resourceAttributes },
          scopeSpans: [{ scope: { name: 'runner' }, spans: [{ traceId: TRACE_ID, spanId: SPAN_ID, name: 'sync', ...span }] }],
        },
      ],
    }),
  );
}

function decodeOne(span: Record<string, unknown>, resourceAttributes: unknown[] = []) {
  const spans = decodeTraceRequest(body(span, resourceAttributes), 'json');
  assert.equal(spans.length, 1);
  return spans[0];
}

/** The attribute `value` renders to, as the Collector ClickHouse exporter would store it. */
function rendered(value: unknown): string {
  return decodeOne({ attributes: [{ key: 'k', value }] }).attributes.k;
}

describe('decoding OTLP/JSON', () => {
  it('fills absent optional fields with their proto3 defaults', () => {
    const span = decodeOne({});
    assert.deepStrictEqual(span, {
      traceId: TRACE_ID,
      spanId: SPAN_ID,
      parentSpanId: '',
      traceState: '',
      name: 'sync',
      kind: 'Unspecified',
      startTimeUnixNano: 0n,
      endTimeUnixNano: 0n,
      attributes: {},
      resourceAttributes: {},
      serviceName: '',
      scopeName: 'runner',
      scopeVersion: '',
      statusCode: 'Unset',
      statusMessage: '',
      events: [],
      links: [],
    });
  });

  it('lower-cases upper-case hex ids', () => {
    const span = decodeOne({ traceId: TRACE_ID.toUpperCase(), parentSpanId: 'ABCDEF0123456789' });
    assert.equal(span.traceId, TRACE_ID);
    assert.equal(span.parentSpanId, 'abcdef0123456789');
  });

  it('accepts enums as integers or as their proto names', () => {
    assert.equal(decodeOne({ kind: 3, status: { code: 2 } }).kind, 'Client');
    const named = decodeOne({ kind: 'SPAN_KIND_PRODUCER', status: { code: 'STATUS_CODE_OK' } });
    assert.equal(named.kind, 'Producer');
    assert.equal(named.statusCode, 'Ok');
  });

  it('stores enum values newer than it knows as unspecified rather than rejecting the batch', () => {
    const span = decodeOne({ kind: 9, status: { code: 7 } });
    assert.equal(span.kind, 'Unspecified');
    assert.equal(span.statusCode, 'Unset');
  });

  it('reads 64-bit times from decimal strings and from numbers, without losing nanoseconds', () => {
    const span = decodeOne({ startTimeUnixNano: '18446744073709551615', endTimeUnixNano: 1_700_000_000_000 });
    assert.equal(span.startTimeUnixNano, 18_446_744_073_709_551_615n);
    assert.equal(span.endTimeUnixNano, 1_700_000_000_000n);
  });

  it('keeps int64 attributes beyond 2^53 exact', () => {
    assert.equal(rendered({ intValue: '9007199254740993' }), '9007199254740993');
    assert.equal(rendered({ intValue: '-9223372036854775808' }), '-9223372036854775808');
  });

  it('renders doubles in the shortest form, like Go', () => {
    assert.equal(rendered({ doubleValue: 1250.5 }), '1250.5');
    assert.equal(rendered({ doubleValue: 1e-7 }), '1e-7');
    assert.equal(rendered({ doubleValue: 1e21 }), '1e+21');
    assert.equal(rendered({ doubleValue: 'NaN' }), 'json: unsupported value: NaN');
    assert.equal(rendered({ doubleValue: '-Infinity' }), 'json: unsupported value: -Inf');
  });

  it('renders bools, bytes and empty values', () => {
    assert.equal(rendered({ boolValue: true }), 'true');
    assert.equal(rendered({ bytesValue: 'AQID' }), 'AQID');
    assert.equal(rendered({}), '');
    assert.equal(rendered({ stringValue: '' }), '');
  });

  it('renders arrays and maps as compact JSON with sorted keys and Go HTML escaping', () => {
    const kvlist = {
      kvlistValue: {
        values: [
          { key: 'b', value: { arrayValue: { values: [{ intValue: 1 }, { doubleValue: 2.5 }, {}] } } },
          { key: 'a', value: { stringValue: '<ok & "fine">' } },
        ],
      },
    };
    assert.equal(rendered(kvlist), '{"a":"\\u003cok \\u0026 \\"fine\\"\\u003e","b":[1,2.5,null]}');
    assert.equal(rendered({ arrayValue: {} }), '[]');
  });

  it('renders a collection holding NaN as empty, since Go cannot marshal it', () => {
    assert.equal(rendered({ arrayValue: { values: [{ doubleValue: 'NaN' }] } }), '');
  });

  it('takes the service name from the resource and lets a repeated key keep its last value', () => {
    const span = decodeOne({}, [
      { key: 'service.name', value: { stringValue: 'first' } },
      { key: 'service.name', value: { stringValue: 'orders-sync' } },
    ]);
    assert.equal(span.serviceName, 'orders-sync');
    assert.deepStrictEqual(span.resourceAttributes, { 'service.name': 'orders-sync' });
  });

  it('keeps an attribute named __proto__ as an ordinary key', () => {
    const span = decodeOne({ attributes: [{ key: '__proto__', value: { stringValue: 'x' } }] });
    assert.equal(Object.getPrototypeOf(span.attributes), Object.prototype);
    assert.deepStrictEqual(Object.entries(span.attributes), [['__proto__', 'x']]);
  });

  it('ignores unknown fields and accepts null as "not set"', () => {
    const span = decodeOne({ flags: 257, droppedAttributesCount: 0, futureField: { x: 1 }, status: null, events: null });
    assert.equal(span.statusCode, 'Unset');
    assert.deepStrictEqual(span.events, []);
  });

  it('decodes an empty request to no spans', () => {
    assert.deepStrictEqual(decodeTraceRequest(Buffer.from('{}'), 'json'), []);
    assert.deepStrictEqual(decodeTraceRequest(Buffer.alloc(0), 'protobuf'), []);
  });
});
