import { z } from 'zod';
import { attributesToRecord } from './attributes.js';
import type { OtlpEncoding } from './decode.js';
import { guardDecode } from './errors.js';
import * as json from './json.js';
import type { OtlpKeyValue, OtlpValue } from './model.js';
import * as pb from './protobuf.js';
import { encodeExportResponse } from './response.js';

/** One OTLP log record as syncwatch reads it: attributes rendered as strings, as for spans. */
export interface DecodedLogRecord {
  /** `eventName`, else the `event.name` attribute, else ''. */
  eventName: string;
  /** `timeUnixNano`, else `observedTimeUnixNano` (the spec's fallback), in nanoseconds. */
  timeUnixNano: bigint;
  traceId: string;
  spanId: string;
  severityText: string;
  /** The body rendered like an attribute value (strings as they are). */
  body: string;
  attributes: Record<string, string>;
  resourceAttributes: Record<string, string>;
}

/** How many log records were refused or ignored, and why; null when all were taken. */
export type OtlpLogsPartialSuccess = { rejectedLogRecords: number; errorMessage: string } | null;

interface RawLogRecord {
  timeUnixNano: bigint;
  observedTimeUnixNano: bigint;
  severityText: string;
  body: OtlpValue;
  attributes: OtlpKeyValue[];
  traceId: string;
  spanId: string;
  eventName: string;
}

interface RawLogsRequest {
  resourceLogs: { resourceAttributes: OtlpKeyValue[]; scopeLogs: { logRecords: RawLogRecord[] }[] }[];
}

/**
 * Decodes an ExportLogsServiceRequest body (already decompressed). Like traces, a malformed
 * body throws OtlpDecodeError whose message says what is wrong and where, and nothing else escapes.
 */
export function decodeLogsRequest(body: Buffer, encoding: OtlpEncoding): DecodedLogRecord[] {
  return guardDecode(`${encoding} logs request`, () => flatten(encoding === 'json' ? fromJson(body) : fromProtobuf(body)));
}

/** The ExportLogsServiceResponse body: empty when everything was taken. */
export function encodeLogsResponse(partial: OtlpLogsPartialSuccess, encoding: OtlpEncoding): Buffer {
  return encodeExportResponse('ExportLogsServiceResponse', partial, encoding);
}

function flatten(request: RawLogsRequest): DecodedLogRecord[] {
  const records: DecodedLogRecord[] = [];
  request.resourceLogs.forEach((rl, i) => {
    const resourceAttributes = attributesToRecord(rl.resourceAttributes, `resourceLogs[${i}].resource.attributes`);
    rl.scopeLogs.forEach((sl, j) => {
      sl.logRecords.forEach((r, k) => {
        const path = `resourceLogs[${i}].scopeLogs[${j}].logRecords[${k}]`;
        const attributes = attributesToRecord(r.attributes, `${path}.attributes`);
        records.push({
          eventName: r.eventName || (attributes['event.name'] ?? ''),
          timeUnixNano: r.timeUnixNano || r.observedTimeUnixNano,
          traceId: r.traceId,
          spanId: r.spanId,
          severityText: r.severityText,
          body: attributesToRecord([{ key: 'body', value: r.body }], `${path}.body`).body,
          attributes,
          resourceAttributes: { ...resourceAttributes },
        });
      });
    });
  });
  return records;
}

function fromProtobuf(body: Uint8Array): RawLogsRequest {
  const message = pb.decodeOtlpMessage('ExportLogsServiceRequest', body);
  const optionalId = (v: unknown, length: number, path: string) => (pb.bytes(v).length === 0 ? '' : pb.id(v, length, path));
  return {
    resourceLogs: pb.list(message.resourceLogs).map((rl, i) => ({
      resourceAttributes: pb.keyValues(pb.sub(rl.resource).attributes),
      scopeLogs: pb.list(rl.scopeLogs).map((sl, j) => ({
        logRecords: pb.list(sl.logRecords).map((r, k) => {
          const path = `resourceLogs[${i}].scopeLogs[${j}].logRecords[${k}]`;
          return {
            timeUnixNano: pb.int64(r.timeUnixNano, false),
            observedTimeUnixNano: pb.int64(r.observedTimeUnixNano, false),
            severityText: pb.str(r.severityText),
            body: pb.anyValue(r.body),
            attributes: pb.keyValues(r.attributes),
            traceId: optionalId(r.traceId, 16, `${path}.traceId`),
            spanId: optionalId(r.spanId, 8, `${path}.spanId`),
            eventName: pb.str(r.eventName),
          };
        }),
      })),
    })),
  };
}

const jsonLogRecord = z.object({
  timeUnixNano: json.int64(false),
  observedTimeUnixNano: json.int64(false),
  severityText: json.str,
  body: json.anyValue,
  attributes: json.keyValues,
  traceId: json.hexId(16, true),
  spanId: json.hexId(8, true),
  eventName: json.str,
});

const jsonLogsRequest = z.object({
  resourceLogs: json.list(
    z.object({
      resource: z.object({ attributes: json.keyValues }).nullish(),
      scopeLogs: json.list(z.object({ logRecords: json.list(jsonLogRecord) })),
    }),
  ),
});

function fromJson(body: Uint8Array): RawLogsRequest {
  const data = json.parseOtlpJson(body, jsonLogsRequest);
  return {
    resourceLogs: data.resourceLogs.map((rl) => ({ resourceAttributes: rl.resource?.attributes ?? [], scopeLogs: rl.scopeLogs })),
  };
}
