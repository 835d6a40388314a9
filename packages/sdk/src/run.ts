import { context, trace, type Attributes, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { SDK_ATTR } from './attributes.js';
import { failureAttributes, markFailed, messageOf, type FailureInfo } from './failure.js';

/** What identifies a run: whose data, which integration and flow. */
export interface RunOptions {
  tenant: string;
  integration: string;
  flow: string;
  /** Only when a tenant installed the same integration more than once. */
  connection?: string;
  /** Defaults to a random UUID. */
  runId?: string;
  /** Extra attributes for the run span. */
  attributes?: Attributes;
}

/** One business object a run moves. */
export interface RecordInfo {
  /** Business identifier, e.g. an order number. */
  id: string | number;
  /** Record type, e.g. `order`, `invoice`. */
  type?: string;
  /** Money value of the record. */
  value?: number;
  /** ISO-4217 currency of `value`; the server assumes USD when absent. */
  currency?: string;
  /** Extra attributes for the record span. */
  attributes?: Attributes;
}

/** Options of {@link Run.record}. */
export interface RecordOptions {
  /** Classification to use if the callback throws (overrides what the error says). */
  failure?: FailureInfo;
}

/** Outcome of one record: it never rejects, so one bad record does not stop a run. */
export type RecordResult<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** How a run ends: with an `error` it is a failed run. */
export interface EndOptions {
  error?: unknown;
  failure?: FailureInfo;
}

/** Records counted so far in a run. */
export interface RunCounts {
  synced: number;
  failed: number;
  skipped: number;
}

/**
 * Where record outcomes go when not as record spans: any OpenTelemetry logs-API logger
 * (`logs.getLogger(…)` of `@opentelemetry/api-logs`) fits; the SDK needs only `emit`.
 */
export interface EventLogger {
  emit(record: { eventName?: string; timestamp?: number; body?: string; attributes?: Attributes; context?: Context }): void;
}

/** One execution of a flow: a run span with one child span per record (or one log event per record). */
export class Run {
  /** The run id (`integration.run.id`). */
  readonly runId: string;
  /** The run span, for runner-specific attributes or events. */
  readonly span: Span;
  /** A context with the run span active, to run other work under it. */
  readonly context: Context;
  private readonly ids: Attributes;
  private readonly counts: RunCounts = { synced: 0, failed: 0, skipped: 0 };
  private readonly pending = new Set<Promise<unknown>>();
  private ending: Promise<void> | null = null;

  /** Starts the run span under the active context; use `Syncwatch.startRun`. */
  constructor(
    private readonly tracer: Tracer,
    options: RunOptions,
    /** With a logger, record outcomes are log events (`record.synced`…) instead of record spans. */
    private readonly events: EventLogger | null = null,
  ) {
    this.runId = options.runId ?? globalThis.crypto.randomUUID();
    this.ids = {
      [SDK_ATTR.tenant]: options.tenant,
      [SDK_ATTR.integration]: options.integration,
      [SDK_ATTR.flow]: options.flow,
      [SDK_ATTR.run]: this.runId,
      ...(options.connection === undefined ? {} : { [SDK_ATTR.connection]: options.connection }),
    };
    this.span = tracer.startSpan(`run ${options.integration} ${options.flow}`, {
      attributes: { ...options.attributes, ...this.ids, [SDK_ATTR.role]: 'run' },
    });
    this.context = trace.setSpan(context.active(), this.span);
  }

  /** Synced, failed and skipped records so far. */
  get recordCounts(): RunCounts {
    return { ...this.counts };
  }

  /**
   * Moves one record: runs `fn` inside a record span (so spans it starts are its children).
   * A throw marks the record failed with what the error says about the failure, and
   * resolves to `{ ok: false, error }` rather than rejecting.
   */
  record<T>(record: RecordInfo, fn: (span: Span) => T | Promise<T>, options: RecordOptions = {}): Promise<RecordResult<T>> {
    if (this.ending) return Promise.reject(new Error(`run ${this.runId} has ended; records must be moved before run.end()`));
    const done = this.moveRecord(record, fn, options);
    this.pending.add(done);
    void done.finally(() => this.pending.delete(done));
    return done;
  }

  /** Reports a record the run chose not to move, and why. */
  skip(record: RecordInfo, reason: string): void {
    if (this.ending) throw new Error(`run ${this.runId} has ended; records must be skipped before run.end()`);
    this.counts.skipped++;
    if (this.events) return this.emitRecord('record.skipped', record, { [SDK_ATTR.skipReason]: reason }, reason);
    const span = this.startRecordSpan(record, { [SDK_ATTR.recordStatus]: 'skipped', [SDK_ATTR.skipReason]: reason });
    span.end();
  }

  /**
   * Ends the run once its records in flight have settled, with `integration.run.records_total`.
   * With `error`, the run failed; records that failed do not fail the run by themselves.
   * Calling it again returns the first call's promise.
   */
  end(options: EndOptions = {}): Promise<void> {
    return (this.ending ??= this.finish(options));
  }

  /** Ends the run as failed: `end({ error, failure })`. */
  fail(error: unknown, failure?: FailureInfo): Promise<void> {
    return this.end({ error, failure });
  }

  private async finish({ error, failure }: EndOptions): Promise<void> {
    await Promise.all([...this.pending]);
    const { synced, failed, skipped } = this.counts;
    this.span.setAttribute(SDK_ATTR.recordsTotal, synced + failed + skipped);
    if (error !== undefined || failure !== undefined) markFailed(this.span, error ?? failure?.code ?? 'run failed', failure);
    this.span.end();
  }

  private async moveRecord<T>(record: RecordInfo, fn: (span: Span) => T | Promise<T>, options: RecordOptions): Promise<RecordResult<T>> {
    if (this.events) return this.moveRecordAsEvent(record, fn, options);
    const span = this.startRecordSpan(record);
    try {
      const value = await context.with(trace.setSpan(this.context, span), fn, undefined, span);
      this.counts.synced++;
      return { ok: true, value };
    } catch (error) {
      markFailed(span, error, options.failure);
      this.counts.failed++;
      return { ok: false, error };
    } finally {
      span.end();
    }
  }

  /** Log-event mode: `fn` runs under the run span (it gets the run span), then one event tells the outcome. */
  private async moveRecordAsEvent<T>(record: RecordInfo, fn: (span: Span) => T | Promise<T>, options: RecordOptions): Promise<RecordResult<T>> {
    try {
      const value = await context.with(this.context, fn, undefined, this.span);
      this.counts.synced++;
      this.emitRecord('record.synced', record);
      return { ok: true, value };
    } catch (error) {
      this.counts.failed++;
      const exception = error instanceof Error ? { 'exception.type': error.name, 'exception.message': messageOf(error) } : {};
      this.emitRecord('record.failed', record, { ...failureAttributes(error, options.failure), ...exception }, messageOf(error));
      return { ok: false, error };
    }
  }

  private emitRecord(eventName: string, record: RecordInfo, extra: Attributes = {}, body?: string): void {
    this.events!.emit({ eventName, timestamp: Date.now(), body, attributes: { ...this.recordAttributes(record), ...extra }, context: this.context });
  }

  private recordAttributes(record: RecordInfo): Attributes {
    const attributes: Attributes = { ...record.attributes, ...this.ids, [SDK_ATTR.record]: String(record.id) };
    if (record.type !== undefined) attributes[SDK_ATTR.recordType] = record.type;
    if (typeof record.value === 'number' && Number.isFinite(record.value)) attributes[SDK_ATTR.recordValue] = record.value;
    if (record.currency !== undefined) attributes[SDK_ATTR.recordCurrency] = record.currency;
    return attributes;
  }

  private startRecordSpan(record: RecordInfo, extra: Attributes = {}): Span {
    const attributes: Attributes = { ...this.recordAttributes(record), [SDK_ATTR.role]: 'record', ...extra };
    return this.tracer.startSpan(record.type ? `record ${record.type}` : 'record', { attributes }, this.context);
  }
}
