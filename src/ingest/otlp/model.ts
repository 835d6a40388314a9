/**
 * The transport-neutral shape both OTLP decoders (protobuf and JSON) produce, before it is
 * flattened into DecodedSpans. Ids are already validated lower-case hex; times are nanoseconds.
 */

/** An OTLP AnyValue, tagged by which member of its oneof was set. */
export type OtlpValue =
  | { type: 'empty' }
  | { type: 'string'; value: string }
  | { type: 'bool'; value: boolean }
  | { type: 'int'; value: bigint }
  | { type: 'double'; value: number }
  | { type: 'bytes'; value: Uint8Array }
  | { type: 'array'; values: OtlpValue[] }
  | { type: 'kvlist'; values: OtlpKeyValue[] };

/** One attribute: a key and its value. */
export interface OtlpKeyValue {
  key: string;
  value: OtlpValue;
}

/** One span as it arrived, with OTLP's numeric enums still numbers. */
export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  traceState: string;
  name: string;
  kind: number;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: OtlpKeyValue[];
  events: { timeUnixNano: bigint; name: string; attributes: OtlpKeyValue[] }[];
  links: { traceId: string; spanId: string; traceState: string; attributes: OtlpKeyValue[] }[];
  statusCode: number;
  statusMessage: string;
}

/** An ExportTraceServiceRequest reduced to what syncwatch keeps. */
export interface OtlpTraceRequest {
  resourceSpans: {
    resourceAttributes: OtlpKeyValue[];
    scopeSpans: { scopeName: string; scopeVersion: string; spans: OtlpSpan[] }[];
  }[];
}

/** The two OTLP/HTTP body encodings: `application/x-protobuf` and `application/json`. */
export type OtlpEncoding = 'protobuf' | 'json';
