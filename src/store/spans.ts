import type { Driver, JsonLines } from './driver.js';
import { insertRecordingIds, type StoredId } from './events.js';

/** One row of `otel_traces`, with the Collector exporter's column names. */
export interface SpanRow {
  Timestamp: string;
  TraceId: string;
  SpanId: string;
  ParentSpanId: string;
  TraceState: string;
  SpanName: string;
  SpanKind: string;
  ServiceName: string;
  ResourceAttributes: Record<string, string>;
  ScopeName: string;
  ScopeVersion: string;
  SpanAttributes: Record<string, string>;
  Duration: string;
  StatusCode: string;
  StatusMessage: string;
  'Events.Timestamp': string[];
  'Events.Name': string[];
  'Events.Attributes': Record<string, string>[];
  'Links.TraceId': string[];
  'Links.SpanId': string[];
  'Links.TraceState': string[];
  'Links.Attributes': Record<string, string>[];
}

/** Inserts whole spans into otel_traces. */
export async function insertSpans(driver: Driver, rows: readonly SpanRow[]): Promise<void> {
  await driver.insert('otel_traces', rows);
}

/**
 * Inserts whole spans already serialised as JSON objects and records their ids: tenant
 * `''` and `otel:<trace id><span id>` (see insertRecordingIds).
 */
export async function insertSpanJson(driver: Driver, lines: JsonLines, receivedAt: string, ids: () => StoredId[]): Promise<void> {
  await insertRecordingIds(driver, 'otel_traces', lines, "concat('otel:', TraceId, SpanId), ''", receivedAt, ids);
}
