import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { toChTime } from '../ch-time.js';
import type { EventRow } from '../store/index.js';
import { classify, type ClassificationRules } from './classify.js';
import { checkTime, DEFAULT_WINDOW, LIMITS, type TimeWindow } from './limits.js';
import { FAILURE_CATEGORIES } from './types.js';
import { isUtcMs, utcMsToChTime, utcMsToEpoch } from './utc-time.js';

export { LIMITS } from './limits.js';

/** The event types runners send (docs/runtime-authors.md#events). */
export const EVENT_TYPES = [
  'run.started',
  'run.succeeded',
  'run.failed',
  'record.synced',
  'record.failed',
  'record.skipped',
  'integration.viewed',
  'integration.install_started',
  'integration.authorized',
  'integration.configured',
  'integration.enabled',
  'integration.disabled',
  'integration.uninstalled',
  'auth.expiring',
  'auth.refreshed',
  'auth.expired',
] as const;

// Identifiers: printable, no whitespace or control characters, bounded.
const IDENT = /^[^\s\p{Cc}]+$/u;
const RECORD_ID = /^[^\p{Cc}]+$/u;
/** True for a valid business identifier of a record. */
export const isRecordId = (v: unknown) => typeof v === 'string' && v.length >= 1 && v.length <= LIMITS.recordIdLength && RECORD_ID.test(v);
const CURRENCY = /^[A-Z]{3}$/;
/** A tenant, integration, flow, run or code: printable, no whitespace, at most 128 characters. */
export const ident = z
  .string()
  .min(1, 'must not be empty')
  .max(128, 'must be at most 128 characters')
  .regex(IDENT, 'must not contain whitespace or control characters');
const MONEY_RANGE = `must be between -${LIMITS.maxMoney} and ${LIMITS.maxMoney}`;
const isoTime = z.iso.datetime({ offset: true, message: 'must be an ISO-8601 timestamp' });

const attributes = z
  .record(z.string().min(1).max(LIMITS.attributeKeyLength), z.string().max(LIMITS.attributeValueLength))
  .refine((a) => Object.keys(a).length <= LIMITS.maxAttributes, `at most ${LIMITS.maxAttributes} attributes`);

/** The schema of one posted event (docs/runtime-authors.md#events): the authority on what is valid. */
export const eventSchema = z
  .strictObject({
    id: z.string().min(1).max(200).optional(),
    type: z.enum(EVENT_TYPES),
    time: isoTime.optional(),
    tenant: ident,
    integration: ident,
    connection: ident.optional(),
    flow: ident.optional(),
    run: ident.optional(),
    record: z
      .strictObject({
        id: z.string().min(1).max(256).regex(RECORD_ID, 'must not contain control characters'),
        type: ident.optional(),
        value: z.number().finite('must be a finite number').min(-LIMITS.maxMoney, MONEY_RANGE).max(LIMITS.maxMoney, MONEY_RANGE).optional(),
        currency: z.string().regex(CURRENCY, 'must be an ISO-4217 code like USD').optional(),
      })
      .optional(),
    error: z
      .strictObject({
        category: z.enum(FAILURE_CATEGORIES).optional(),
        code: ident.optional(),
        message: z.string().max(LIMITS.messageLength).optional(),
        http_status: z.number().int().min(100).max(599).optional(),
        type: z.string().max(200).optional(),
        retry_after: z.union([z.number(), z.string()]).optional(),
        exit_code: z.number().int().optional(),
        /** The failure happened on an outbound call (classification rules may ask). */
        outbound: z.boolean().optional(),
      })
      .optional(),
    reason: z.string().max(LIMITS.messageLength).optional(),
    records_total: z.number().int().min(0).max(4_294_967_295).optional(),
    duration_ms: z.number().int().min(0).max(LIMITS.maxDurationMs, `must be at most ${LIMITS.maxDurationMs} (a year)`).optional(),
    attributes: attributes.optional(),
  })
  .superRefine((e, ctx) => {
    if (e.type.startsWith('record.') && !e.record) ctx.addIssue({ code: 'custom', path: ['record'], message: `is required for ${e.type}` });
    if (e.type.startsWith('run.') && !e.run) ctx.addIssue({ code: 'custom', path: ['run'], message: `is required for ${e.type}` });
    if (e.type.endsWith('.failed') && !e.error) ctx.addIssue({ code: 'custom', path: ['error'], message: `is required for ${e.type}` });
  });

/** A posted event after validation. */
export type IntegrationEvent = z.infer<typeof eventSchema>;

// The fast path: a plain check that vouches for the common, valid event, so zod (which
// allocates a parsed copy of every object) runs only for the rest and for the error
// messages. It accepts a subset of what eventSchema accepts, never more: anything it
// is unsure of (unknown keys, `__proto__`, unusual values) goes to zod, which decides.
const EVENT_KEYS = new Set(Object.keys(eventSchema.shape));
const RECORD_KEYS = new Set(['id', 'type', 'value', 'currency']);
const ERROR_KEYS = new Set(['category', 'code', 'message', 'http_status', 'type', 'retry_after', 'exit_code', 'outbound']);
const TYPES = new Set<string>(EVENT_TYPES);
const CATEGORIES = new Set<string>(FAILURE_CATEGORIES);
const ISO_TIME = isoTime.def.pattern;

type Obj = Record<string, unknown>;
const isPlain = (v: unknown): v is Obj => typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;
/** True for a valid tenant, integration, flow, run or code (the `ident` rules, without zod). */
export const isIdent = (v: unknown) => typeof v === 'string' && v.length >= 1 && v.length <= 128 && IDENT.test(v);
const isText = (v: unknown, max: number) => typeof v === 'string' && v.length <= max;
const isInt = (v: unknown, min: number, max: number) => typeof v === 'number' && Number.isSafeInteger(v) && v >= min && v <= max;
const isNumber = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
const isMoney = (v: unknown) => typeof v === 'number' && Math.abs(v) <= LIMITS.maxMoney;

function hasOnly(o: Obj, keys: ReadonlySet<string>): boolean {
  for (const k in o) if (!keys.has(k)) return false;
  return true;
}

function isPlainRecord(r: unknown): boolean {
  if (!isPlain(r) || !hasOnly(r, RECORD_KEYS)) return false;
  if (!isRecordId(r.id)) return false;
  return (r.type === undefined || isIdent(r.type)) && (r.value === undefined || isMoney(r.value)) && (r.currency === undefined || (typeof r.currency === 'string' && CURRENCY.test(r.currency)));
}

function isPlainError(e: unknown): boolean {
  if (!isPlain(e) || !hasOnly(e, ERROR_KEYS)) return false;
  return (
    (e.category === undefined || (typeof e.category === 'string' && CATEGORIES.has(e.category))) &&
    (e.code === undefined || isIdent(e.code)) &&
    (e.message === undefined || isText(e.message, LIMITS.messageLength)) &&
    (e.http_status === undefined || isInt(e.http_status, 100, 599)) &&
    (e.type === undefined || isText(e.type, 200)) &&
    (e.retry_after === undefined || isNumber(e.retry_after) || typeof e.retry_after === 'string') &&
    (e.exit_code === undefined || isInt(e.exit_code, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER)) &&
    (e.outbound === undefined || typeof e.outbound === 'boolean')
  );
}

function isPlainAttributes(a: unknown): boolean {
  if (!isPlain(a)) return false;
  let n = 0;
  for (const k in a) {
    const v = a[k];
    if (++n > LIMITS.maxAttributes || k === '__proto__' || k.length < 1 || k.length > LIMITS.attributeKeyLength || !isText(v, LIMITS.attributeValueLength)) return false;
  }
  return true;
}

/** True only when eventSchema would accept `item` as it is (its parsed copy would equal it). */
export function isPlainValidEvent(item: unknown): item is IntegrationEvent {
  if (!isPlain(item) || !hasOnly(item, EVENT_KEYS)) return false;
  const e = item;
  if (typeof e.type !== 'string' || !TYPES.has(e.type) || !isIdent(e.tenant) || !isIdent(e.integration)) return false;
  if (e.id !== undefined && (typeof e.id !== 'string' || e.id.length < 1 || e.id.length > 200)) return false;
  if (e.time !== undefined && (typeof e.time !== 'string' || !ISO_TIME || !ISO_TIME.test(e.time))) return false;
  if ((e.connection !== undefined && !isIdent(e.connection)) || (e.flow !== undefined && !isIdent(e.flow)) || (e.run !== undefined && !isIdent(e.run))) return false;
  if (e.record !== undefined && !isPlainRecord(e.record)) return false;
  if (e.error !== undefined && !isPlainError(e.error)) return false;
  if (e.reason !== undefined && !isText(e.reason, LIMITS.messageLength)) return false;
  if (e.records_total !== undefined && !isInt(e.records_total, 0, 4_294_967_295)) return false;
  if (e.duration_ms !== undefined && !isInt(e.duration_ms, 0, LIMITS.maxDurationMs)) return false;
  if (e.attributes !== undefined && !isPlainAttributes(e.attributes)) return false;
  // The superRefine rules.
  if (e.type.startsWith('record.') && e.record === undefined) return false;
  if (e.type.startsWith('run.') && e.run === undefined) return false;
  return !(e.type.endsWith('.failed') && e.error === undefined);
}

/** Validates one posted event: the fast path when it can vouch for it, else zod. */
function parseEvent(item: unknown): { success: true; data: IntegrationEvent } | { success: false; error: z.ZodError } {
  return isPlainValidEvent(item) ? { success: true, data: item } : eventSchema.safeParse(item);
}

/** Why one event of a batch was refused. */
export interface Rejection {
  index: number;
  error: string;
}

function describe(error: z.ZodError): string {
  return error.issues
    .map((i) => {
      const message = i.message.replace(/^Invalid input: expected \w+, received undefined$/, 'is required');
      return i.path.length ? `${i.path.join('.')}: ${message}` : message;
    })
    .join('; ');
}

/** The event's time in ms, or why it is refused (outside the accepted window). */
function eventTime(time: string | undefined, utc: boolean, now: number, window: TimeWindow): number | string {
  if (time === undefined) return now;
  const ms = utc ? utcMsToEpoch(time) : Date.parse(time);
  return checkTime('time', ms, now, window) ?? ms;
}

// A validated UTC time with milliseconds already is the DateTime64(3) literal, re-punctuated.
const chTimeOf = (time: string | undefined, utc: boolean, ms: number) => (time !== undefined && utc ? utcMsToChTime(time) : toChTime(ms));

/**
 * Validates, classifies and normalises posted events into store rows; invalid ones are
 * rejected by index. `newIds` holds the indexes (in `rows`) of rows whose id was generated here (none was sent).
 */
export function toEventRows(
  items: unknown[],
  rules: ClassificationRules,
  scope: ReadonlySet<string> | null,
  now: number,
  window: TimeWindow = DEFAULT_WINDOW,
): { rows: EventRow[]; rejected: Rejection[]; newIds: number[] } {
  const rows: EventRow[] = [];
  const rejected: Rejection[] = [];
  const newIds: number[] = [];
  const receivedAt = toChTime(now);
  items.forEach((item, index) => {
    const parsed = parseEvent(item);
    if (!parsed.success) return rejected.push({ index, error: describe(parsed.error) });
    const e = parsed.data;
    if (scope && !scope.has(e.tenant)) return rejected.push({ index, error: `tenant: this key may not write for tenant "${e.tenant}"` });
    const utc = e.time !== undefined && isUtcMs(e.time);
    const ts = eventTime(e.time, utc, now, window);
    if (typeof ts === 'string') return rejected.push({ index, error: ts });
    const failure = e.error
      ? classify(
          {
            integration: e.integration,
            category: e.error.category,
            code: e.error.code,
            message: e.error.message,
            httpStatus: e.error.http_status,
            errorType: e.error.type,
            retryAfter: e.error.retry_after !== undefined,
            exitCode: e.error.exit_code,
            outbound: e.error.outbound,
            serverAddress: e.attributes?.['server.address'],
            url: e.attributes?.['url.full'],
            attributes: e.attributes,
          },
          rules,
        )
      : null;
    const row: EventRow = {
      event_id: e.id ?? randomUUID(),
      type: e.type,
      ts: chTimeOf(e.time, utc, ts),
      received_at: receivedAt,
      tenant: e.tenant,
      integration: e.integration,
      connection: e.connection ?? '',
      flow: e.flow ?? '',
      run: e.run ?? '',
      record_id: e.record?.id ?? '',
      record_type: e.record?.type ?? '',
      record_value: e.record?.value ?? 0,
      has_value: e.record?.value === undefined ? 0 : 1,
      currency: e.record?.value === undefined ? '' : (e.record.currency ?? 'USD'),
      failure_category: failure?.category ?? '',
      failure_code: failure?.code ?? '',
      failure_retryable: failure?.retryable ? 1 : 0,
      message: failure?.message ?? e.reason ?? '',
      http_status: e.error?.http_status ?? 0,
      records_total: e.records_total ?? 0,
      duration_ms: e.duration_ms ?? 0,
      attributes: e.attributes ?? {},
      source: 'event',
    };
    if (e.id === undefined) newIds.push(rows.length);
    rows.push(row);
  });
  return { rows, rejected, newIds };
}
