import type { EventRow, SpanRow } from '../store/index.js';
import { parseEventsBody } from './body.js';
import type { ClassificationRules } from './classify.js';
import { toEventRows, type Rejection } from './events.js';
import type { TimeWindow } from './limits.js';
import { logRecordsToEvents } from './logs.js';
import { decodeTraceRequest, type OtlpEncoding } from './otlp/decode.js';
import { decodeLogsRequest } from './otlp/logs.js';
import { ATTR, mapSpans } from './spans.js';

/*
 * One ingest request from its raw body to the rows the batcher takes: parse, validate,
 * check the key's tenants and the time window, classify, normalise. Pure (no I/O, no
 * shared state but the rules), so it runs alike on the HTTP thread or in a decode worker
 * (decode-worker.ts). Results are plain data, so they cross a thread by structured clone:
 * `newIds` lists row indexes, not rows (a Set of objects would not keep its identity).
 */

/** What a request is judged by besides its body. */
export interface RequestContext {
  rules: ClassificationRules;
  /** Tenants the key may write for, or null for any. */
  scope: readonly string[] | null;
  /** The service clock's now, taken on the HTTP thread when the request arrived. */
  now: number;
  window: TimeWindow;
}

/** Rows of a /v1/events or OTLP logs request; `newIds` are indexes of rows whose id syncwatch made. */
export interface DecodedEvents {
  rows: EventRow[];
  rejected: Rejection[];
  newIds: number[];
}

/** Rows of an OTLP trace request. */
export interface DecodedTraces {
  spanRows: SpanRow[];
  eventRows: EventRow[];
  rejected: { spanId: string; error: string }[];
}

/** Rows of an OTLP logs request; `ignored` counts records that are not integration events. */
export interface DecodedLogs extends DecodedEvents {
  ignored: number;
}

const scopeSet = (scope: readonly string[] | null) => (scope ? new Set(scope) : null);

/** Validated event items (already parsed) as rows. */
export function eventItemsToRows(items: unknown[], ctx: RequestContext): DecodedEvents {
  return toEventRows(items, ctx.rules, scopeSet(ctx.scope), ctx.now, ctx.window);
}

/** A /v1/events body (JSON array, one object, or NDJSON by content type); throws AppError when unparseable. */
export function decodeEventsBody(body: Buffer, contentType: string, ctx: RequestContext): DecodedEvents {
  return eventItemsToRows(parseEventsBody(body, contentType), ctx);
}

/** An OTLP ExportTraceServiceRequest; throws OtlpDecodeError when it cannot be decoded at all. */
export function decodeTracesBody(body: Buffer, encoding: OtlpEncoding, ctx: RequestContext): DecodedTraces {
  const decoded = decodeTraceRequest(body, encoding);
  const scope = scopeSet(ctx.scope);
  const outOfScope: { spanId: string; error: string }[] = [];
  const spans = scope
    ? decoded.filter((s) => {
        const tenant = s.attributes[ATTR.tenant] ?? s.resourceAttributes[ATTR.tenant];
        if (tenant !== undefined && scope.has(tenant)) return true;
        // A key limited to some tenants writes only spans that say whose they are.
        outOfScope.push({
          spanId: s.spanId,
          error: tenant === undefined ? `a key limited to tenants must send ${ATTR.tenant} on every span` : `this key may not write for tenant "${tenant}"`,
        });
        return false;
      })
    : decoded;
  const { spanRows, eventRows, rejected } = mapSpans(spans, ctx.rules, ctx.now, ctx.window);
  return { spanRows, eventRows, rejected: [...outOfScope, ...rejected] };
}

/** An OTLP ExportLogsServiceRequest: integration-event records become event rows (source `log`). */
export function decodeLogsBody(body: Buffer, encoding: OtlpEncoding, ctx: RequestContext): DecodedLogs {
  const { items, sources, ignored } = logRecordsToEvents(decodeLogsRequest(body, encoding));
  const { rows, rejected, newIds } = eventItemsToRows(items, ctx);
  for (const row of rows) row.source = 'log';
  return { rows, newIds, ignored, rejected: rejected.map((r) => ({ index: sources[r.index], error: r.error })) };
}
