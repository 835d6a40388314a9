import type { DecodedSpan } from '../types.js';
import { attributesToRecord } from './attributes.js';
import { guardDecode } from './errors.js';
import { decodeJsonRequest } from './json.js';
import type { OtlpEncoding, OtlpTraceRequest } from './model.js';
import { decodeProtobufRequest } from './protobuf.js';
import { encodeExportResponse } from './response.js';

export { OtlpDecodeError } from './errors.js';
export type { OtlpEncoding } from './model.js';

/** How many spans of a request were refused, and why; null when all were accepted. */
export type OtlpPartialSuccess = { rejectedSpans: number; errorMessage: string } | null;

// Names as the Collector's ClickHouse exporter writes them (traceutil.SpanKindStr / StatusCodeStr).
// Enum values newer than this table are stored as the unspecified/unset value rather than
// rejecting a whole batch from a newer SDK.
const SPAN_KIND_NAMES = ['Unspecified', 'Internal', 'Server', 'Client', 'Producer', 'Consumer'];
const STATUS_CODE_NAMES = ['Unset', 'Ok', 'Error'];

/**
 * Decodes an OTLP/HTTP ExportTraceServiceRequest body (already decompressed) into spans.
 * Any malformed body throws OtlpDecodeError, whose message says what is wrong and where;
 * no other error escapes, whatever the bytes.
 */
export function decodeTraceRequest(body: Buffer, encoding: OtlpEncoding): DecodedSpan[] {
  return guardDecode(`${encoding} trace request`, () => toDecodedSpans(encoding === 'json' ? decodeJsonRequest(body) : decodeProtobufRequest(body)));
}

/** The ExportTraceServiceResponse body: empty when everything was accepted. */
export function encodeTraceResponse(partial: OtlpPartialSuccess, encoding: OtlpEncoding): Buffer {
  return encodeExportResponse('ExportTraceServiceResponse', partial, encoding);
}

function toDecodedSpans(request: OtlpTraceRequest): DecodedSpan[] {
  const spans: DecodedSpan[] = [];
  request.resourceSpans.forEach((rs, i) => {
    const resourceAttributes = attributesToRecord(rs.resourceAttributes, `resourceSpans[${i}].resource.attributes`);
    // Like the exporter: `service.name` rendered as any other attribute value.
    const serviceName = Object.hasOwn(resourceAttributes, 'service.name') ? resourceAttributes['service.name'] : '';
    rs.scopeSpans.forEach((ss, j) => {
      ss.spans.forEach((span, k) => {
        const path = `resourceSpans[${i}].scopeSpans[${j}].spans[${k}]`;
        spans.push({
          traceId: span.traceId,
          spanId: span.spanId,
          parentSpanId: span.parentSpanId,
          traceState: span.traceState,
          name: span.name,
          kind: SPAN_KIND_NAMES[span.kind] ?? SPAN_KIND_NAMES[0],
          startTimeUnixNano: span.startTimeUnixNano,
          endTimeUnixNano: span.endTimeUnixNano,
          attributes: attributesToRecord(span.attributes, `${path}.attributes`),
          resourceAttributes: { ...resourceAttributes },
          serviceName,
          scopeName: ss.scopeName,
          scopeVersion: ss.scopeVersion,
          statusCode: STATUS_CODE_NAMES[span.statusCode] ?? STATUS_CODE_NAMES[0],
          statusMessage: span.statusMessage,
          events: span.events.map((e, n) => ({
            timeUnixNano: e.timeUnixNano,
            name: e.name,
            attributes: attributesToRecord(e.attributes, `${path}.events[${n}].attributes`),
          })),
          links: span.links.map((l, n) => ({
            traceId: l.traceId,
            spanId: l.spanId,
            traceState: l.traceState,
            attributes: attributesToRecord(l.attributes, `${path}.links[${n}].attributes`),
          })),
        });
      });
    });
  });
  return spans;
}
