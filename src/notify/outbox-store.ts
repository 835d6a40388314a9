import { z } from 'zod';
import { fromChTime, toChTime, type Driver } from '../store/index.js';
import { DELIVERY_STATUSES, type DeliveryStatus, type NotificationMessage } from './model.js';
import type { Target } from './registry.js';

/** One delivery: one message to one target, and where it stands. */
export interface Delivery {
  id: string;
  message: NotificationMessage;
  target: Target;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: number;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: number;
  updatedAt: number;
  /** ReplacingMergeTree version: every write of a delivery is one higher than the last. */
  version: number;
}

/** One attempt, as the delivery log keeps it. */
export interface DeliveryAttempt {
  deliveryId: string;
  attempt: number;
  at: number;
  status: number | null;
  ok: boolean;
  retryable: boolean;
  error: string | null;
  durationMs: number;
}

/** A delivery not yet attempted, due now. */
export function newDelivery(id: string, message: NotificationMessage, target: Target, now: number, version: number): Delivery {
  return { id, message, target, status: 'pending', attempts: 0, nextAttemptAt: now, lastStatus: null, lastError: null, createdAt: now, updatedAt: now, version };
}

const ms = (s: string) => Date.parse(fromChTime(s));

const COLUMNS = `delivery_id, message, target, status, attempts, next_attempt_at, last_status, last_error, created_at, updated_at, version`;

const deliveryRow = z
  .object({
    delivery_id: z.string(),
    message: z.string(),
    target: z.string(),
    status: z.enum(DELIVERY_STATUSES),
    attempts: z.coerce.number(),
    next_attempt_at: z.string(),
    last_status: z.coerce.number(),
    last_error: z.string(),
    created_at: z.string(),
    updated_at: z.string(),
    version: z.coerce.number(),
  })
  .transform(
    (r): Delivery => ({
      id: r.delivery_id,
      message: JSON.parse(r.message) as NotificationMessage,
      target: JSON.parse(r.target) as Target,
      status: r.status,
      attempts: r.attempts,
      nextAttemptAt: ms(r.next_attempt_at),
      lastStatus: r.last_status || null,
      lastError: r.last_error || null,
      createdAt: ms(r.created_at),
      updatedAt: ms(r.updated_at),
      version: r.version,
    }),
  );

const attemptRow = z
  .object({
    delivery_id: z.string(),
    attempt: z.coerce.number(),
    at: z.string(),
    status_code: z.coerce.number(),
    ok: z.coerce.number(),
    retryable: z.coerce.number(),
    error: z.string(),
    duration_ms: z.coerce.number(),
  })
  .transform(
    (r): DeliveryAttempt => ({
      deliveryId: r.delivery_id,
      attempt: r.attempt,
      at: ms(r.at),
      status: r.status_code || null,
      ok: r.ok === 1,
      retryable: r.retryable === 1,
      error: r.error || null,
      durationMs: r.duration_ms,
    }),
  );

/** Writes the current state of deliveries (a new version each; the latest wins). */
export async function insertDeliveries(driver: Driver, deliveries: readonly Delivery[]): Promise<void> {
  await driver.insert(
    'notification_outbox',
    deliveries.map((d) => ({
      delivery_id: d.id,
      message_id: d.message.id,
      message_type: d.message.type,
      tenant: d.message.tenant ?? '',
      audience: d.message.audience,
      channel: d.target.channel,
      target: JSON.stringify(d.target),
      message: JSON.stringify(d.message),
      status: d.status,
      attempts: d.attempts,
      next_attempt_at: toChTime(d.nextAttemptAt),
      last_status: d.lastStatus ?? 0,
      last_error: d.lastError ?? '',
      created_at: toChTime(d.createdAt),
      updated_at: toChTime(d.updatedAt),
      version: d.version,
    })),
  );
}

/** Appends attempts to the delivery log. */
export async function insertAttempts(driver: Driver, attempts: readonly DeliveryAttempt[]): Promise<void> {
  await driver.insert(
    'notification_attempts',
    attempts.map((a) => ({
      delivery_id: a.deliveryId,
      attempt: a.attempt,
      at: toChTime(a.at),
      status_code: a.status ?? 0,
      ok: a.ok ? 1 : 0,
      retryable: a.retryable ? 1 : 0,
      error: a.error ?? '',
      duration_ms: Math.max(0, Math.round(a.durationMs)),
    })),
  );
}

// FINAL merges the versions first; the status filter runs on the merged rows (outside the
// subquery), so a delivery whose latest version is "delivered" never reads as pending.
const latest = (where: string) => `SELECT ${COLUMNS} FROM notification_outbox FINAL WHERE ${where}`;

/** How many deliveries are dead-lettered (gave up, or refused for good): a level to alert on. */
export async function countDeadDeliveries(driver: Driver): Promise<number> {
  const [row] = await driver.query<{ n: string | number }>({
    name: 'notify.outbox_dead_count',
    sql: `SELECT count() AS n FROM (${latest('1')}) WHERE status = 'dead'`,
  });
  return Number(row?.n ?? 0);
}

/** Every pending delivery (read once at start: the outbox keeps them in memory after that). */
export async function getPendingDeliveries(driver: Driver): Promise<Delivery[]> {
  return driver.query({
    name: 'notify.outbox_pending',
    sql: `SELECT * FROM (${latest('1')}) WHERE status = 'pending' ORDER BY next_attempt_at`,
    schema: deliveryRow,
  });
}

/** Which of these delivery ids are already in the outbox (any status). */
export async function findDeliveryIds(driver: Driver, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await driver.query({
    name: 'notify.outbox_ids',
    sql: 'SELECT DISTINCT delivery_id FROM notification_outbox WHERE delivery_id IN (SELECT arrayJoin({ids:Array(String)}))',
    params: { ids },
    schema: z.object({ delivery_id: z.string() }),
  });
  return new Set(rows.map((r) => r.delivery_id));
}

/** Filters of the delivery log. */
export interface DeliveryFilter {
  status?: DeliveryStatus;
  tenant?: string;
  limit: number;
}

/** The latest deliveries (newest first), each with its attempts (oldest first). */
export async function getDeliveryLog(driver: Driver, q: DeliveryFilter): Promise<(Delivery & { log: DeliveryAttempt[] })[]> {
  const inner = q.tenant !== undefined ? 'tenant = {tenant:String}' : '1';
  const deliveries = await driver.query({
    name: 'notify.outbox_list',
    sql: `SELECT * FROM (${latest(inner)})
          WHERE ${q.status ? 'status = {status:String}' : '1'}
          ORDER BY created_at DESC, delivery_id
          LIMIT {limit:UInt32}`,
    params: { tenant: q.tenant ?? '', status: q.status ?? '', limit: q.limit },
    schema: deliveryRow,
  });
  if (deliveries.length === 0) return [];
  const attempts = await driver.query({
    name: 'notify.attempts_list',
    sql: `SELECT delivery_id, attempt, at, status_code, ok, retryable, error, duration_ms
          FROM notification_attempts
          WHERE delivery_id IN (SELECT arrayJoin({ids:Array(String)}))
          ORDER BY delivery_id, attempt, at`,
    params: { ids: deliveries.map((d) => d.id) },
    schema: attemptRow,
  });
  const byDelivery = new Map<string, DeliveryAttempt[]>();
  for (const a of attempts) byDelivery.set(a.deliveryId, [...(byDelivery.get(a.deliveryId) ?? []), a]);
  return deliveries.map((d) => ({ ...d, log: byDelivery.get(d.id) ?? [] }));
}
