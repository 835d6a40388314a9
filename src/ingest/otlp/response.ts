import type { OtlpEncoding } from './model.js';
import { otlpType } from './protobuf.js';

/** The OTLP export responses syncwatch answers with. */
type ExportResponse = 'ExportTraceServiceResponse' | 'ExportLogsServiceResponse';

/**
 * An Export…ServiceResponse body: empty when everything was taken, else its partial success
 * (the rejected count and why). OTLP/JSON writes the int64 count as a string.
 */
export function encodeExportResponse(type: ExportResponse, partial: Record<string, number | string> | null, encoding: OtlpEncoding): Buffer {
  if (encoding === 'json') {
    const partialSuccess = partial && Object.fromEntries(Object.entries(partial).map(([field, value]) => [field, String(value)]));
    return Buffer.from(JSON.stringify(partialSuccess ? { partialSuccess } : {}));
  }
  const message = otlpType(type);
  return Buffer.from(message.encode(message.create(partial ? { partialSuccess: partial } : {})).finish());
}
