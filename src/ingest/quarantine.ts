import { listQuarantined, insertQuarantined, type Driver, type EventRow, type QuarantinedRow, type SpanRow, toChTime } from '../store/index.js';
import type { Batcher } from './batcher.js';

/** Most rows one replay or discard call handles. */
export const QUARANTINE_BATCH = 1000;

/** Which quarantined rows a replay or discard applies to: these ids, or every row still waiting. */
export type QuarantineSelection = { ids: readonly string[] } | { all: true };

async function waiting(driver: Driver, sel: QuarantineSelection): Promise<QuarantinedRow[]> {
  return listQuarantined(driver, { state: 'quarantined', ids: 'ids' in sel ? sel.ids : undefined, limit: QUARANTINE_BATCH });
}

const mark = (rows: QuarantinedRow[], state: QuarantinedRow['state'], now: number) =>
  rows.map((r) => ({ ...r, state, updatedAt: new Date(now).toISOString() }));

/**
 * Puts quarantined rows back through the batcher (after the operator fixed what the store
 * refused: a schema, a setting). They are durable when this resolves; a row the store
 * refuses again is quarantined again under a new id. An event gets a new `received_at`,
 * so its insert is a new block for the tables' insert de-duplication.
 */
export async function replayQuarantined(driver: Driver, batcher: Batcher, sel: QuarantineSelection, now: number): Promise<number> {
  const rows = await waiting(driver, sel);
  if (rows.length === 0) return 0;
  const events: EventRow[] = [];
  const spans: SpanRow[] = [];
  for (const r of rows) {
    if (r.kind === 'event') events.push({ ...(JSON.parse(r.row) as EventRow), received_at: toChTime(now) });
    else spans.push(JSON.parse(r.row) as SpanRow);
  }
  await batcher.accept({ events, spans });
  await insertQuarantined(driver, mark(rows, 'replayed', now));
  return rows.length;
}

/** Marks quarantined rows as discarded: they stay listed (90 days) but are never replayed. */
export async function discardQuarantined(driver: Driver, sel: QuarantineSelection, now: number): Promise<number> {
  const rows = await waiting(driver, sel);
  await insertQuarantined(driver, mark(rows, 'discarded', now));
  return rows.length;
}
