import { trace, type Tracer } from '@opentelemetry/api';
import { Run, type EventLogger, type RunOptions } from './run.js';

export { Run, type EventLogger, type RunOptions, type RecordInfo, type RecordOptions, type RecordResult, type EndOptions, type RunCounts } from './run.js';
export { SyncwatchError, failureAttributes, type FailureCategory, type FailureInfo, type SyncwatchErrorOptions } from './failure.js';
export { SDK_ATTR, OTEL_ATTR } from './attributes.js';

/** Options of {@link createSyncwatch}. */
export interface SyncwatchOptions {
  /** Tracer for run and record spans; defaults to the global tracer provider's `syncwatch-sdk` tracer. */
  tracer?: Tracer;
  /**
   * Report record outcomes as OpenTelemetry log events (`record.synced`, `record.failed`,
   * `record.skipped`, sent to syncwatch's /v1/logs by an OTLP log exporter) instead of record
   * spans: pass a logs-API logger, e.g. `logs.getLogger('runner')` of `@opentelemetry/api-logs`.
   * Runs stay spans. Without it, records are spans.
   */
  recordLogger?: EventLogger;
}

/** The runner SDK: starts runs whose spans any OTLP exporter can send to syncwatch. */
export interface Syncwatch {
  /** Starts a run span (a child of the active span, if any). */
  startRun(options: RunOptions): Run;
}

/**
 * Creates the runner SDK over `@opentelemetry/api`. Without a tracer it uses the global
 * provider lazily, so it may be created before the OpenTelemetry SDK is started.
 */
export function createSyncwatch(options: SyncwatchOptions = {}): Syncwatch {
  const tracer = options.tracer ?? trace.getTracer('syncwatch-sdk');
  return { startRun: (run) => new Run(tracer, run, options.recordLogger ?? null) };
}

/** A ready instance over the global tracer provider (e.g. the one `NodeSDK.start()` registers). */
export const syncwatch: Syncwatch = createSyncwatch();
