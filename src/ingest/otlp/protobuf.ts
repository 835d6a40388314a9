import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { OtlpDecodeError } from './errors.js';
import type { OtlpKeyValue, OtlpSpan, OtlpTraceRequest, OtlpValue } from './model.js';

// The build copies otlp.proto next to the compiled JS, so this resolves in src/ and dist/ alike.
const PROTO_PATH = fileURLToPath(new URL('./otlp.proto', import.meta.url));

let root: protobuf.Root | undefined;

/** The message type `opentelemetry.proto.<name>`, parsing the .proto file on first use only. */
export function otlpType(name: string): protobuf.Type {
  root ??= protobuf.loadSync(PROTO_PATH);
  return root.lookupType(`opentelemetry.proto.${name}`);
}

// protobufjs decodes into plain objects: set fields are own properties, defaults sit on the
// prototype. These types describe only what is read below; everything is checked at runtime.
export type Message = Record<string, unknown>;
type Int64 = number | string | { low: number; high: number };

/**
 * Decodes one OTLP message (`ExportTraceServiceRequest`, `ExportLogsServiceRequest`) in
 * protobuf wire format into protobufjs's plain object; a malformed body is an OtlpDecodeError.
 */
export function decodeOtlpMessage(name: string, body: Uint8Array): Message {
  try {
    return otlpType(name).decode(body) as unknown as Message;
  } catch (err) {
    // protobufjs stops at 100 nested messages ("max depth exceeded"); deeper input is hostile.
    if (err instanceof Error && /max depth exceeded|call stack/i.test(err.message)) {
      throw new OtlpDecodeError('body: protobuf messages nested too deeply to decode');
    }
    const reason = err instanceof Error ? err.message : String(err);
    throw new OtlpDecodeError(`body is not a protobuf ${name}: ${reason}`);
  }
}

/** Decodes an ExportTraceServiceRequest in protobuf wire format. */
export function decodeProtobufRequest(body: Uint8Array): OtlpTraceRequest {
  const message = decodeOtlpMessage('ExportTraceServiceRequest', body);
  return {
    resourceSpans: list(message.resourceSpans).map((rs, i) => {
      const path = `resourceSpans[${i}]`;
      return {
        resourceAttributes: keyValues(sub(rs.resource).attributes),
        scopeSpans: list(rs.scopeSpans).map((ss, j) => {
          const scope = sub(ss.scope);
          return {
            scopeName: str(scope.name),
            scopeVersion: str(scope.version),
            spans: list(ss.spans).map((span, k) => toSpan(span, `${path}.scopeSpans[${j}].spans[${k}]`)),
          };
        }),
      };
    }),
  };
}

function toSpan(span: Message, path: string): OtlpSpan {
  const status = sub(span.status);
  return {
    traceId: id(span.traceId, 16, `${path}.traceId`),
    spanId: id(span.spanId, 8, `${path}.spanId`),
    parentSpanId: optionalId(span.parentSpanId, `${path}.parentSpanId`),
    traceState: str(span.traceState),
    name: str(span.name),
    kind: num(span.kind),
    startTimeUnixNano: int64(span.startTimeUnixNano, false),
    endTimeUnixNano: int64(span.endTimeUnixNano, false),
    attributes: keyValues(span.attributes),
    events: list(span.events).map((event) => ({
      timeUnixNano: int64(event.timeUnixNano, false),
      name: str(event.name),
      attributes: keyValues(event.attributes),
    })),
    links: list(span.links).map((link, l) => ({
      traceId: id(link.traceId, 16, `${path}.links[${l}].traceId`),
      spanId: id(link.spanId, 8, `${path}.links[${l}].spanId`),
      traceState: str(link.traceState),
      attributes: keyValues(link.attributes),
    })),
    statusCode: num(status.code),
    statusMessage: str(status.message),
  };
}

export function keyValues(value: unknown): OtlpKeyValue[] {
  return list(value).map((kv) => ({ key: str(kv.key), value: anyValue(kv.value) }));
}

/** Which oneof member is set is told by own properties: protobufjs leaves unset ones on the prototype. */
export function anyValue(value: unknown): OtlpValue {
  const v = sub(value);
  const has = (field: string) => Object.prototype.hasOwnProperty.call(v, field) && v[field] != null;
  if (has('stringValue')) return { type: 'string', value: str(v.stringValue) };
  if (has('boolValue')) return { type: 'bool', value: v.boolValue === true };
  if (has('intValue')) return { type: 'int', value: int64(v.intValue, true) };
  if (has('doubleValue')) return { type: 'double', value: num(v.doubleValue) };
  if (has('arrayValue')) return { type: 'array', values: list(sub(v.arrayValue).values).map(anyValue) };
  if (has('kvlistValue')) return { type: 'kvlist', values: keyValues(sub(v.kvlistValue).values) };
  if (has('bytesValue')) return { type: 'bytes', value: bytes(v.bytesValue) };
  return { type: 'empty' };
}

export function id(value: unknown, length: number, path: string): string {
  const b = bytes(value);
  if (b.length !== length) {
    throw new OtlpDecodeError(`${path}: expected ${length} bytes, got ${b.length}`);
  }
  return Buffer.from(b).toString('hex');
}

export function optionalId(value: unknown, path: string): string {
  return bytes(value).length === 0 ? '' : id(value, 8, path);
}

export function int64(value: unknown, signed: boolean): bigint {
  const v = value as Int64 | null | undefined;
  let n: bigint;
  if (v == null) n = 0n;
  else if (typeof v === 'number') n = BigInt(Math.trunc(v));
  else if (typeof v === 'string') n = BigInt(v);
  else n = (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0);
  return signed ? BigInt.asIntN(64, n) : BigInt.asUintN(64, n);
}

export function list(value: unknown): Message[] {
  return Array.isArray(value) ? (value as Message[]) : [];
}

export function sub(value: unknown): Message {
  return value !== null && typeof value === 'object' ? (value as Message) : {};
}

export function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

export function num(value: unknown): number {
  return typeof value === 'number' ? value : 0;
}

export function bytes(value: unknown): Uint8Array {
  return value instanceof Uint8Array ? value : new Uint8Array(0);
}
