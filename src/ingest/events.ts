import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { toChTime, type EventRow } from '../store/index.js';
import { classifyFailure, type ClassificationRules } from './classify.js';
import { FAILURE_CATEGORIES } from './types.js';

/** The event types of DESIGN.md §4.2. */
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

/** Limits that keep one event's row small and the store's cardinality sane. */
export const LIMITS = {
  maxAttributes: 64,
  attributeKeyLength: 128,
  attributeValueLength: 4096,
  messageLength: 4000,
  /** Events older than this are refused as absurd (clock bugs, epoch-seconds sent as ms). */
  earliestTime: Date.UTC(2000, 0, 1),
  /** How far ahead of our clock an event may claim to be. */
  maxFutureMs: 24 * 3600 * 1000,
};

// Identifiers: printable, no whitespace or control characters, bounded.
const ident = z
  .string()
  .min(1, 'must not be empty')
  .max(128, 'must be at most 128 characters')
  .regex(/^[^\s\p{Cc}]+$/u, 'must not contain whitespace or control characters');

const attributes = z
  .record(z.string().min(1).max(LIMITS.attributeKeyLength), z.string().max(LIMITS.attributeValueLength))
  .refine((a) => Object.keys(a).length <= LIMITS.maxAttributes, `at most ${LIMITS.maxAttributes} attributes`);

const eventSchema = z
  .strictObject({
    id: z.string().min(1).max(200).optional(),
    type: z.enum(EVENT_TYPES),
    time: z.iso.datetime({ offset: true, message: 'must be an ISO-8601 timestamp' }).optional(),
    tenant: ident,
    integration: ident,
    connection: ident.optional(),
    flow: ident.optional(),
    run: ident.optional(),
    record: z
      .strictObject({
        id: z.string().min(1).max(256).regex(/^[^\p{Cc}]+$/u, 'must not contain control characters'),
        type: ident.optional(),
        value: z.number().finite().optional(),
        currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO-4217 code like USD').optional(),
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
      })
      .optional(),
    reason: z.string().max(LIMITS.messageLength).optional(),
    records_total: z.number().int().min(0).max(4_294_967_295).optional(),
    duration_ms: z.number().int().min(0).optional(),
    attributes: attributes.optional(),
  })
  .superRefine((e, ctx) => {
    if (e.type.startsWith('record.') && !e.record) ctx.addIssue({ code: 'custom', path: ['record'], message: `is required for ${e.type}` });
    if (e.type.startsWith('run.') && !e.run) ctx.addIssue({ code: 'custom', path: ['run'], message: `is required for ${e.type}` });
    if (e.type.endsWith('.failed') && !e.error) ctx.addIssue({ code: 'custom', path: ['error'], message: `is required for ${e.type}` });
  });

/** A posted event after validation. */
export type IntegrationEvent = z.infer<typeof eventSchema>;

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

function checkTime(time: string | undefined, now: number): number | string {
  if (time === undefined) return now;
  const ms = Date.parse(time);
  if (ms < LIMITS.earliestTime) return 'time: is before 2000-01-01';
  if (ms > now + LIMITS.maxFutureMs) return 'time: is more than 24 hours in the future';
  return ms;
}

/** Validates, classifies and normalises posted events into store rows; invalid ones are rejected by index. */
export function toEventRows(
  items: unknown[],
  rules: ClassificationRules,
  scope: ReadonlySet<string> | null = null,
  now = Date.now(),
): { rows: EventRow[]; rejected: Rejection[] } {
  const rows: EventRow[] = [];
  const rejected: Rejection[] = [];
  const receivedAt = toChTime(now);
  items.forEach((item, index) => {
    const parsed = eventSchema.safeParse(item);
    if (!parsed.success) return rejected.push({ index, error: describe(parsed.error) });
    const e = parsed.data;
    if (scope && !scope.has(e.tenant)) return rejected.push({ index, error: `tenant: this key may not write for tenant "${e.tenant}"` });
    const ts = checkTime(e.time, now);
    if (typeof ts === 'string') return rejected.push({ index, error: ts });
    const failure = e.error
      ? classifyFailure(
          {
            category: e.error.category,
            code: e.error.code,
            message: e.error.message,
            httpStatus: e.error.http_status,
            errorType: e.error.type,
            retryAfter: e.error.retry_after !== undefined,
            exitCode: e.error.exit_code,
          },
          rules,
        )
      : null;
    rows.push({
      event_id: e.id ?? randomUUID(),
      type: e.type,
      ts: toChTime(ts),
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
      message: failure?.message ?? e.reason ?? '',
      http_status: e.error?.http_status ?? 0,
      records_total: e.records_total ?? 0,
      duration_ms: e.duration_ms ?? 0,
      attributes: e.attributes ?? {},
      source: 'event',
    });
  });
  return { rows, rejected };
}
