import { OtlpDecodeError } from './errors.js';
import type { OtlpKeyValue, OtlpValue } from './model.js';

/*
 * Attribute values become strings exactly as the OpenTelemetry Collector's ClickHouse exporter
 * writes them (pdata's `Value.AsString()`), so rows written by syncwatch and rows written by a
 * Collector pipeline into the same `otel_traces` table compare equal. That means reproducing
 * Go's strconv and encoding/json output, quirks included.
 */

/**
 * How deeply arrays and maps may nest inside one attribute value. Real attributes nest a few
 * levels; the limit keeps hostile bodies from exhausting the stack while decoding or rendering.
 * It sits below what protobufjs's recursion limit (100 messages, two per level) lets through,
 * so both encodings accept the same values.
 */
export const MAX_VALUE_DEPTH = 32;

/** Thrown inside JSON rendering where Go's json.Marshal would fail (NaN, ±Inf). */
class UnsupportedJsonValue extends Error {}

/** Thrown inside JSON rendering when a value nests deeper than MAX_VALUE_DEPTH. */
class TooDeep extends Error {}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const GO_HTML_ESCAPES = /[<>&\u2028\u2029]/g;

/** A value rendered like pdata's `AsString()`. */
function valueAsString(value: OtlpValue): string {
  switch (value.type) {
    case 'empty':
      return '';
    case 'string':
      return value.value;
    case 'bool':
      return value.value ? 'true' : 'false';
    case 'int':
      return value.value.toString();
    case 'double':
      return Number.isFinite(value.value)
        ? formatDouble(value.value)
        : `json: unsupported value: ${goSpecialFloat(value.value)}`;
    case 'bytes':
      return Buffer.from(value.value).toString('base64');
    case 'array':
    case 'kvlist':
      try {
        return goJson(value, 1);
      } catch (err) {
        // json.Marshal fails on NaN/Inf and AsString ignores the error: the result is empty.
        if (err instanceof UnsupportedJsonValue) return '';
        throw err;
      }
  }
}

/**
 * Attributes as a key → string map; a repeated key keeps its last value, as the exporter's map
 * does. `path` (e.g. `resourceSpans[0].resource.attributes`) locates them for error messages.
 */
export function attributesToRecord(attributes: OtlpKeyValue[], path: string): Record<string, string> {
  const record: Record<string, string> = {};
  attributes.forEach(({ key, value }, i) => {
    try {
      setOwn(record, key, valueAsString(value));
    } catch (err) {
      if (!(err instanceof TooDeep)) throw err;
      throw new OtlpDecodeError(`${path}[${i}].value: nested more than ${MAX_VALUE_DEPTH} levels deep`);
    }
  });
  return record;
}

/** Assigns without letting a `__proto__` key replace the object's prototype. */
function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

/**
 * Go's float formatting for JSON and AsString ("as if by ES6 number to string conversion"):
 * identical to JavaScript's except that Go keeps the sign of negative zero.
 */
function formatDouble(n: number): string {
  return Object.is(n, -0) ? '-0' : String(n);
}

function goSpecialFloat(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  return n > 0 ? '+Inf' : '-Inf';
}

/** Compact JSON as Go's json.Marshal writes `Value.AsRaw()`; `depth` is 1 for the attribute itself. */
function goJson(value: OtlpValue, depth: number): string {
  if (depth > MAX_VALUE_DEPTH) throw new TooDeep();
  switch (value.type) {
    case 'empty':
      return 'null';
    case 'string':
      return goQuote(value.value);
    case 'bool':
      return value.value ? 'true' : 'false';
    case 'int':
      return value.value.toString();
    case 'double':
      if (!Number.isFinite(value.value)) throw new UnsupportedJsonValue();
      return formatDouble(value.value);
    case 'bytes':
      // AsRaw copies into a nil slice, so empty bytes are a nil []byte, which Go marshals as null.
      return value.value.length === 0 ? 'null' : `"${Buffer.from(value.value).toString('base64')}"`;
    case 'array':
      return `[${value.values.map((v) => goJson(v, depth + 1)).join(',')}]`;
    case 'kvlist': {
      // AsRaw builds a Go map (last duplicate wins); json.Marshal sorts map keys bytewise.
      const entries = new Map<string, OtlpValue>();
      for (const kv of value.values) entries.set(kv.key, kv.value);
      const keys = [...entries.keys()].sort(compareUtf8);
      return `{${keys.map((k) => `${goQuote(k)}:${goJson(entries.get(k)!, depth + 1)}`).join(',')}}`;
    }
  }
}

/** A JSON string literal as Go writes it: HTML-safe escapes, invalid UTF-16 replaced by U+FFFD. */
function goQuote(s: string): string {
  const quoted = JSON.stringify(s.replace(LONE_SURROGATE, '\uFFFD'));
  return quoted.replace(GO_HTML_ESCAPES, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Byte order of the UTF-8 encodings (= code point order), which is how Go sorts strings. */
function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
