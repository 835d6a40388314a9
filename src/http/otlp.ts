import { encodeLogsResponse, encodeTraceResponse, type Ingest, type OtlpEncoding, type TenantScope } from '../ingest/index.js';
import type { Metrics } from '../metrics.js';

/*
 * One OTLP export, whichever transport carried it (OTLP/HTTP here, OTLP/gRPC in grpc.ts):
 * the ingest call, the counters, and the Export*ServiceResponse with its partial success.
 * A body that cannot be decoded throws the ingest's OtlpDecodeError for the transport to map.
 */

const MAX_REASONS = 5;

/** Accepts an ExportTraceServiceRequest body; returns the encoded ExportTraceServiceResponse. */
export async function exportTraces(ingest: Ingest, metrics: Metrics, body: Buffer, encoding: OtlpEncoding, scope: TenantScope): Promise<Buffer> {
  const result = await ingest.acceptTraces(body, encoding, scope);
  metrics.acceptedEvents.inc({ source: 'traces' }, result.accepted);
  metrics.rejectedEvents.inc({ source: 'traces' }, result.rejected.length);
  const partial = result.rejected.length
    ? { rejectedSpans: result.rejected.length, errorMessage: result.rejected.slice(0, MAX_REASONS).map((r) => `span ${r.spanId}: ${r.error}`).join('; ') }
    : null;
  return encodeTraceResponse(partial, encoding);
}

/**
 * Accepts an ExportLogsServiceRequest body; returns the encoded ExportLogsServiceResponse.
 * Records that are not integration events are ignored and counted in the partial success,
 * so a runner that exports all its logs here sees why most were not kept.
 */
export async function exportLogs(ingest: Ingest, metrics: Metrics, body: Buffer, encoding: OtlpEncoding, scope: TenantScope): Promise<Buffer> {
  const result = await ingest.acceptLogs(body, encoding, scope);
  metrics.acceptedEvents.inc({ source: 'logs' }, result.accepted);
  metrics.rejectedEvents.inc({ source: 'logs' }, result.rejected.length);
  metrics.ignoredLogRecords.inc(result.ignored);
  const reasons = result.rejected.slice(0, MAX_REASONS).map((r) => `log record ${r.index}: ${r.error}`);
  if (result.ignored > 0) reasons.push(`${result.ignored} log record(s) ignored: no integration event name (eventName or event.name, e.g. record.synced)`);
  const refused = result.rejected.length + result.ignored;
  return encodeLogsResponse(refused ? { rejectedLogRecords: refused, errorMessage: reasons.join('; ') } : null, encoding);
}
