import { z } from 'zod';
import { OtlpDecodeError } from './errors.js';
import type { OtlpKeyValue, OtlpTraceRequest, OtlpValue } from './model.js';

/*
 * OTLP/JSON (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding): the proto3 JSON
 * mapping with lowerCamelCase keys, trace and span ids as hex (not base64), enums as integers,
 * and 64-bit integers as decimal strings or numbers. Unknown keys are ignored, as the spec asks;
 * null means "not set", as in proto3 JSON.
 */

const SPAN_KINDS = ['SPAN_KIND_UNSPECIFIED', 'SPAN_KIND_INTERNAL', 'SPAN_KIND_SERVER', 'SPAN_KIND_CLIENT', 'SPAN_KIND_PRODUCER', 'SPAN_KIND_CONSUMER'];
const STATUS_CODES = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'];
const BASE64 = /^(?:[A-Za-z0-9+/_-]{4})*(?:[A-Za-z0-9+/_-]{2}(?:==)?|[A-Za-z0-9+/_-]{3}=?)?$/;
const MAX_UINT64 = (1n << 64n) - 1n;
const MIN_INT64 = -(1n << 63n);
const MAX_INT64 = (1n << 63n) - 1n;
// zod validates recursively, so deeper documents are refused before it runs. Each nested
// AnyValue costs three JSON levels, so this admits MAX_VALUE_DEPTH values under the ~10 levels
// of request structure, and the attribute renderer then gives the precise error.
const MAX_JSON_DEPTH = 128;

export const str = z.string().nullish().transform((s) => s ?? '');

/** A trace or span id: hex of exactly `bytes` bytes (or, when optional, empty/absent → ''). */
export function hexId(bytes: number, optional = false) {
  const pattern = new RegExp(`^[0-9a-fA-F]{${bytes * 2}}$`);
  const expected = `expected ${bytes * 2} hex characters${optional ? ' or an empty string' : ''}`;
  return z.unknown().optional().transform((v, ctx) => {
    if (optional && (v == null || v === '')) return '';
    if (typeof v === 'string' && pattern.test(v)) return v.toLowerCase();
    ctx.issues.push({ code: 'custom', message: `${expected}, got ${describeValue(v)}`, input: v });
    return z.NEVER;
  });
}

/** int64 / fixed64: a decimal string or an integral number, within the type's range; absent is undefined. */
export function optionalInt64(signed: boolean) {
  const [min, max] = signed ? [MIN_INT64, MAX_INT64] : [0n, MAX_UINT64];
  const message = `expected ${signed ? 'an integer' : 'a non-negative integer'} (decimal string or number) within 64 bits`;
  return z.unknown().optional().transform((v, ctx) => {
    if (v == null) return undefined;
    let n: bigint | undefined;
    if (typeof v === 'number' && Number.isInteger(v)) n = BigInt(v);
    else if (typeof v === 'string' && /^-?\d{1,20}$/.test(v)) n = BigInt(v);
    if (n === undefined || n < min || n > max) {
      ctx.issues.push({ code: 'custom', message: `${message}, got ${describeValue(v)}`, input: v });
      return z.NEVER;
    }
    return n;
  });
}

export const int64 = (signed: boolean) => optionalInt64(signed).transform((n) => n ?? 0n);

/** A proto3 enum: its integer value, or its name. Unknown integers pass; the caller maps them. */
function protoEnum(names: string[], typeName: string) {
  const message = `expected a ${typeName} integer or one of ${names.join(', ')}`;
  return z.unknown().optional().transform((v, ctx) => {
    if (v == null) return 0;
    if (typeof v === 'number' && Number.isInteger(v)) return v;
    if (typeof v === 'string' && names.includes(v)) return names.indexOf(v);
    ctx.issues.push({ code: 'custom', message: `${message}, got ${describeValue(v)}`, input: v });
    return z.NEVER;
  });
}

/** double: a number, or the proto3 JSON strings "NaN", "Infinity", "-Infinity" or a numeric string. */
const optionalDouble = z.unknown().optional().transform((v, ctx) => {
  if (v == null) return undefined;
  if (typeof v === 'number') return v;
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  ctx.issues.push({ code: 'custom', message: `expected a number, got ${describeValue(v)}`, input: v });
  return z.NEVER;
});

const base64 = z
  .string({ error: 'expected a base64 string' })
  .regex(BASE64, 'expected a base64 string')
  .transform((s) => new Uint8Array(Buffer.from(s, 'base64')));

const VALUE_FIELDS = ['stringValue', 'boolValue', 'intValue', 'doubleValue', 'arrayValue', 'kvlistValue', 'bytesValue'] as const;

export const anyValue: z.ZodType<OtlpValue, unknown> = z.lazy(() =>
  z
    .object({
      stringValue: z.string().nullish(),
      boolValue: z.boolean().nullish(),
      intValue: optionalInt64(true).optional(),
      doubleValue: optionalDouble.optional(),
      arrayValue: z.object({ values: z.array(anyValue).nullish() }).nullish(),
      kvlistValue: z.object({ values: keyValues }).nullish(),
      bytesValue: base64.nullish(),
    })
    .nullish()
    .superRefine((v, ctx) => {
      const set = VALUE_FIELDS.filter((f) => v != null && v[f] != null);
      if (set.length > 1) ctx.addIssue({ code: 'custom', message: `expected one value field, got ${set.join(' and ')}` });
    })
    .transform((v): OtlpValue => {
      if (v == null) return { type: 'empty' };
      if (v.stringValue != null) return { type: 'string', value: v.stringValue };
      if (v.boolValue != null) return { type: 'bool', value: v.boolValue };
      if (v.intValue != null) return { type: 'int', value: v.intValue };
      if (v.doubleValue != null) return { type: 'double', value: v.doubleValue };
      if (v.arrayValue != null) return { type: 'array', values: v.arrayValue.values ?? [] };
      if (v.kvlistValue != null) return { type: 'kvlist', values: v.kvlistValue.values };
      if (v.bytesValue != null) return { type: 'bytes', value: v.bytesValue };
      return { type: 'empty' };
    }),
);

export const keyValues: z.ZodType<OtlpKeyValue[], unknown> = z.lazy(() =>
  z
    .array(z.object({ key: str, value: anyValue }))
    .nullish()
    .transform((kvs) => kvs ?? []),
);

export const list = <T extends z.ZodTypeAny>(item: T) =>
  z
    .array(item)
    .nullish()
    .transform((items) => items ?? []);

const span = z.object({
  traceId: hexId(16),
  spanId: hexId(8),
  parentSpanId: hexId(8, true),
  traceState: str,
  name: str,
  kind: protoEnum(SPAN_KINDS, 'SpanKind'),
  startTimeUnixNano: int64(false),
  endTimeUnixNano: int64(false),
  attributes: keyValues,
  events: list(z.object({ timeUnixNano: int64(false), name: str, attributes: keyValues })),
  links: list(z.object({ traceId: hexId(16), spanId: hexId(8), traceState: str, attributes: keyValues })),
  status: z.object({ code: protoEnum(STATUS_CODES, 'StatusCode'), message: str }).nullish(),
});

const request = z.object({
  resourceSpans: list(
    z.object({
      resource: z.object({ attributes: keyValues }).nullish(),
      scopeSpans: list(
        z.object({
          scope: z.object({ name: str, version: str }).nullish(),
          spans: list(span),
        }),
      ),
    }),
  ),
});

/** Parses an OTLP/JSON body with `schema`; any problem is an OtlpDecodeError that says where. */
export function parseOtlpJson<T extends z.ZodTypeAny>(body: Uint8Array, schema: T): z.output<T> {
  let data: unknown;
  try {
    data = JSON.parse(Buffer.from(body).toString('utf8').replace(/^\uFEFF/, ''));
  } catch (err) {
    throw new OtlpDecodeError(`body is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  assertShallow(data);
  const parsed = schema.safeParse(data, { error: describeIssue });
  if (!parsed.success) {
    const [first, ...rest] = parsed.error.issues;
    const more = rest.length > 0 ? ` (and ${rest.length} more problem${rest.length > 1 ? 's' : ''})` : '';
    throw new OtlpDecodeError(`${formatPath(first.path)}: ${first.message}${more}`);
  }
  return parsed.data;
}

/** Decodes an ExportTraceServiceRequest in OTLP/JSON. */
export function decodeJsonRequest(body: Uint8Array): OtlpTraceRequest {
  const data = parseOtlpJson(body, request);
  return {
    resourceSpans: data.resourceSpans.map((rs) => ({
      resourceAttributes: rs.resource?.attributes ?? [],
      scopeSpans: rs.scopeSpans.map((ss) => ({
        scopeName: ss.scope?.name ?? '',
        scopeVersion: ss.scope?.version ?? '',
        spans: ss.spans.map(({ status, ...s }) => ({
          ...s,
          statusCode: status?.code ?? 0,
          statusMessage: status?.message ?? '',
        })),
      })),
    })),
  };
}

/** Refuses documents nested deeper than MAX_JSON_DEPTH, walking without recursion. */
function assertShallow(root: unknown): void {
  const values: unknown[] = [root];
  const depths: number[] = [1];
  while (values.length > 0) {
    const value = values.pop();
    const depth = depths.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (depth > MAX_JSON_DEPTH) throw new OtlpDecodeError(`body: JSON nested more than ${MAX_JSON_DEPTH} levels deep`);
    for (const child of Array.isArray(value) ? value : Object.values(value)) {
      values.push(child);
      depths.push(depth + 1);
    }
  }
}

/** "expected an object, got array" rather than zod's generic wording. */
function describeIssue(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code !== 'invalid_type') return undefined;
  const expected = String(issue.expected);
  const article = /^[aeiou]/.test(expected) ? 'an' : 'a';
  const input = issue.input;
  const got = input === null ? 'null' : Array.isArray(input) ? 'array' : input === undefined ? 'nothing' : typeof input;
  return `expected ${article} ${expected}, got ${got}`;
}

/** A short rendering of an offending value for error messages. */
function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return v.length > 40 ? `a ${v.length}-character string` : JSON.stringify(v);
  if (v === null || typeof v !== 'object') return String(v);
  return Array.isArray(v) ? 'an array' : 'an object';
}

/** resourceSpans[0].scopeSpans[1].spans[3].traceId */
function formatPath(path: PropertyKey[]): string {
  if (path.length === 0) return 'body';
  return path
    .map((key, i) => {
      if (typeof key === 'number') return `[${key}]`;
      const name = String(key);
      if (!/^[A-Za-z_$][\w$]*$/.test(name)) return `[${JSON.stringify(name)}]`;
      return i === 0 ? name : `.${name}`;
    })
    .join('');
}
