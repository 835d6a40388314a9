import path from 'node:path';
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Driver, EventRow } from '../store/index.js';
import { Batcher } from './batcher.js';
import { loadClassifier, type ClassificationRules } from './classify.js';
import { watchOverrideRules } from './classify-watch.js';
import { createDecoder, type Judgement, type RequestDecoder } from './decode-pool.js';
import type { Rejection } from './events.js';
import type { TimeWindow } from './limits.js';
import type { OtlpEncoding } from './otlp/decode.js';
import { eventItemsToRows, type DecodedEvents } from './requests.js';
import { rowText } from './spool.js';
import { StagingDrain, WriteLock } from './staging.js';
import type { Leadership } from '../leadership.js';

export { parseEventsBody, MAX_EVENTS_PER_REQUEST } from './body.js';
export { EVENT_TYPES, eventSchema, ident, type IntegrationEvent, type Rejection } from './events.js';
export { LIMITS, DEFAULT_WINDOW, type TimeWindow } from './limits.js';
export { OtlpDecodeError, encodeTraceResponse, type OtlpEncoding } from './otlp/decode.js';
export { encodeLogsResponse } from './otlp/logs.js';
export {
  classify,
  classifyFailure,
  loadClassificationRules,
  loadClassifier,
  loadOverrideRules,
  producibleCodes,
  isRetryableCode,
  defaultClassificationFile,
  OVERRIDE_FILE,
  type Classification,
  type ClassificationRules,
} from './classify.js';
// YAML rule-file error locations, shared with the alert-rule loader (src/alerts/rules.ts).
export { lineOf as yamlIssueLine, describePath as describeRulePath } from './classify.js';
export { ATTR } from './spans.js';
export { classifyInputSchema, signalsFromInput, type ClassifyInput } from './classify-input.js';
export type { Batcher, BatcherStats } from './batcher.js';
export type { RequestDecoder } from './decode-pool.js';
export { stageBatch, batchId, type StagingDrain } from './staging.js';
export { replayQuarantined, discardQuarantined, QUARANTINE_BATCH, type QuarantineSelection } from './quarantine.js';
export * from './types.js';

/** Tenants a key may write for; `null` means any tenant. */
export type TenantScope = ReadonlySet<string> | null;

/** The ingest pipeline: validate → normalise → classify → spool → batch into the store. */
export interface Ingest {
  readonly batcher: Batcher;
  /** Where request bodies are decoded (the HTTP thread or a worker pool). */
  readonly decoder: RequestDecoder;
  readonly rules: ClassificationRules;
  /** The clock rows are judged and stamped by (the time window, `received_at`). */
  readonly clock: Clock;
  /** Accepts parsed event items; valid ones are durable when this resolves. */
  acceptEvents(items: unknown[], scope: TenantScope): Promise<{ accepted: number; rejected: Rejection[] }>;
  /**
   * Accepts a /v1/events body (JSON array, one object, or NDJSON by `contentType`), decoded
   * off the HTTP thread when decode threads are configured; throws AppError when unparseable.
   */
  acceptEventsBody(body: Buffer, contentType: string, scope: TenantScope): Promise<{ accepted: number; rejected: Rejection[] }>;
  /** Accepts an OTLP trace request body; throws OtlpDecodeError when it cannot be decoded at all. */
  acceptTraces(body: Buffer, encoding: OtlpEncoding, scope: TenantScope): Promise<{ accepted: number; rejected: { spanId: string; error: string }[] }>;
  /**
   * Accepts an OTLP logs request body: records named for an integration event type go the
   * events path; the others are counted as ignored. Throws OtlpDecodeError when undecodable.
   */
  acceptLogs(body: Buffer, encoding: OtlpEncoding, scope: TenantScope): Promise<LogsResult>;
  /**
   * Calls `listener` with the event rows of each accepted request, once they are durable
   * (event rules evaluate them within seconds). A listener that throws or rejects is
   * logged and never fails ingest. Rows are shared: listeners must not change them.
   */
  onAccepted(listener: AcceptedListener): void;
  /**
   * Calls `listener` with the event rows of each batch the staging drain of this process
   * has written to the store (rows API processes accepted; role `worker`), so the lease
   * holder sees them as `onAccepted` listeners see their own. Same contract as onAccepted.
   */
  onDrained(listener: AcceptedListener): void;
  /**
   * The worker's drain of batches staged by `api` processes (staging.ts), acting while
   * `gate()` holds; it shares this process's store writer.
   */
  stagingDrain(leadership: Leadership, intervalMs: number): StagingDrain;
  close(): Promise<void>;
}

/** What became of an OTLP logs request: `rejected[].index` counts log records across the request. */
export interface LogsResult {
  accepted: number;
  ignored: number;
  rejected: Rejection[];
}

/** Receives the event rows of an accepted request (see Ingest.onAccepted). */
export type AcceptedListener = (rows: readonly EventRow[]) => void | Promise<void>;

/** Builds the ingest pipeline over a store. */
export function createIngest(
  driver: Driver,
  config: Pick<Config, 'dataDir' | 'alertRulesDir'> & { ingest: Omit<Config['ingest'], 'decodeThreads'> & Partial<Pick<Config['ingest'], 'decodeThreads'>> } & Partial<Pick<Config, 'role'>>,
  log: Logger,
  clock: Clock = systemClock,
): Ingest {
  const rules = loadClassifier(config.alertRulesDir);
  const stopWatching = watchOverrideRules(config.alertRulesDir, rules, log);
  const window: TimeWindow = { maxAgeMs: config.ingest.maxAgeMs, maxFutureMs: config.ingest.maxFutureMs };
  const lock = new WriteLock();
  // Only a process alone (role `all`) writes events itself; api and worker processes stage (staging.ts).
  const stage = (config.role ?? 'all') !== 'all';
  const batcher = new Batcher(driver, { spoolDir: path.join(config.dataDir, 'spool'), ...config.ingest, clock, stage, lock }, log);
  const decoder = createDecoder(rules, { threads: config.ingest.decodeThreads ?? 0, rulesDir: config.alertRulesDir });
  const judgement = (scope: TenantScope): Judgement => ({ scope: scope ? [...scope] : null, now: clock.now(), window });
  const listeners: AcceptedListener[] = [];
  const drainedListeners: AcceptedListener[] = [];
  const announce = (rows: readonly EventRow[], to = listeners) => {
    for (const listener of to) {
      const failed = (err: unknown) => log.error({ err }, 'an accepted-rows listener failed (ingest is unaffected)');
      try {
        void Promise.resolve(listener(rows)).catch(failed);
      } catch (err) {
        failed(err);
      }
    }
  };
  /** Spools decoded event rows (durable when this resolves) and tells the listeners. */
  const acceptRows = async <R>({ rows, rejected, newIds }: DecodedEvents & { rejected: R[] }) => {
    if (rows.length > 0) await batcher.accept({ events: rows, spans: [], newIds: new Set(newIds.map((i) => rows[i])) });
    if (rows.length > 0 && listeners.length > 0) announce(rows);
    return { accepted: rows.length, rejected };
  };
  return {
    batcher,
    decoder,
    rules,
    clock,
    stagingDrain: (leadership, intervalMs) =>
      new StagingDrain(driver, log, batcher.stats, lock, {
        intervalMs,
        leadership,
        clock,
        // Parsed only when someone listens: the rows' JSON is the staged form.
        written: (batch) => {
          if (drainedListeners.length > 0 && batch.events.length > 0) announce(batch.events.map((r) => JSON.parse(rowText(r)) as EventRow), drainedListeners);
        },
      }),
    async acceptEvents(items, scope) {
      return acceptRows(eventItemsToRows(items, { rules, ...judgement(scope) }));
    },
    async acceptEventsBody(body, contentType, scope) {
      return acceptRows(await decoder.events(body, contentType, judgement(scope)));
    },
    async acceptTraces(body, encoding, scope) {
      const { spanRows, eventRows, rejected } = await decoder.traces(body, encoding, judgement(scope));
      if (spanRows.length > 0) await batcher.accept({ events: eventRows, spans: spanRows });
      if (eventRows.length > 0 && listeners.length > 0) announce(eventRows);
      return { accepted: spanRows.length, rejected };
    },
    async acceptLogs(body, encoding, scope) {
      const { ignored, ...decoded } = await decoder.logs(body, encoding, judgement(scope));
      return { ...(await acceptRows(decoded)), ignored };
    },
    onAccepted: (listener) => void listeners.push(listener),
    onDrained: (listener) => void drainedListeners.push(listener),
    close: async () => {
      stopWatching();
      await decoder.close();
      return batcher.close();
    },
  };
}

export { runClassifyCommand } from './classify-cli.js';
