import { z } from 'zod';
import type { Driver } from './driver.js';
import { fromChTime, toChTime } from './time.js';

/** Where a quarantined row stands: waiting for an admin, put back through ingest, or dropped. */
export type QuarantineState = 'quarantined' | 'replayed' | 'discarded';

/** One row the store refused at flush, with the engine's reason and the row as it was accepted. */
export interface QuarantinedRow {
  id: string;
  quarantinedAt: string;
  kind: 'event' | 'span';
  tenant: string;
  eventId: string;
  reason: string;
  /** The row's JSON text as the spool held it (an `events` or `otel_traces` row). */
  row: string;
  state: QuarantineState;
  updatedAt: string;
}

const quarantineRow = z
  .object({
    id: z.string(),
    quarantined_at: z.string(),
    kind: z.enum(['event', 'span']),
    tenant: z.string(),
    event_id: z.string(),
    reason: z.string(),
    row: z.string(),
    state: z.enum(['quarantined', 'replayed', 'discarded']),
    updated_at: z.string(),
  })
  .transform((r) => ({
    id: r.id,
    quarantinedAt: fromChTime(r.quarantined_at),
    kind: r.kind,
    tenant: r.tenant,
    eventId: r.event_id,
    reason: r.reason,
    row: r.row,
    state: r.state,
    updatedAt: fromChTime(r.updated_at),
  }));

const toStoreRow = (r: QuarantinedRow) => ({
  id: r.id,
  quarantined_at: toChTime(Date.parse(r.quarantinedAt)),
  kind: r.kind,
  tenant: r.tenant,
  event_id: r.eventId,
  reason: r.reason,
  row: r.row,
  state: r.state,
  updated_at: toChTime(Date.parse(r.updatedAt)),
});

/** Stores quarantined rows (or a newer version of them: the latest `updatedAt` wins). */
export async function insertQuarantined(driver: Driver, rows: readonly QuarantinedRow[]): Promise<void> {
  if (rows.length > 0) await driver.insert('ingest_quarantine', rows.map(toStoreRow));
}

/** Filters for listing the quarantine. */
export interface QuarantineFilter {
  state?: QuarantineState;
  tenant?: string;
  ids?: readonly string[];
  limit: number;
}

/** Quarantined rows, newest first. */
export async function listQuarantined(driver: Driver, f: QuarantineFilter): Promise<QuarantinedRow[]> {
  const where: string[] = [];
  if (f.state) where.push('state = {state:String}');
  if (f.tenant) where.push('tenant = {tenant:String}');
  if (f.ids) where.push('id IN {ids:Array(String)}');
  return driver.query({
    name: 'ingest_quarantine.list',
    sql: `SELECT id, toString(quarantined_at) AS quarantined_at, kind, tenant, event_id, reason, row, state,
                 toString(updated_at) AS updated_at
          FROM ingest_quarantine FINAL
          ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
          ORDER BY quarantined_at DESC, id
          LIMIT {limit:UInt32}`,
    params: Object.fromEntries(Object.entries({ state: f.state, tenant: f.tenant, ids: f.ids, limit: f.limit }).filter(([, v]) => v !== undefined)),
    schema: quarantineRow,
  });
}
