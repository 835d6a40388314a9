import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { toChTime, type Driver } from '../store/index.js';
import type { Observation } from './model.js';

const inboxRow = z.object({ id: z.string(), ts_ms: z.coerce.number(), observations: z.string() });

/** Hands event-rule observations made outside the lease holder to it (alert_inbox). */
export async function postToInbox(driver: Driver, observations: readonly Observation[], now: number): Promise<void> {
  if (observations.length === 0) return;
  await driver.insert('alert_inbox', [{ ts: toChTime(now), id: randomUUID(), observations: JSON.stringify(observations) }]);
}

/**
 * Reads what other processes posted since the last read. Clocks of different processes
 * disagree a little, so each read looks `overlapMs` behind the cursor and skips the ids
 * already taken: an observation applied twice changes nothing (a firing alert stays firing).
 */
export class InboxReader {
  private cursor: number;
  private readonly taken = new Map<string, number>();

  constructor(
    private readonly driver: Driver,
    start: number,
    private readonly overlapMs = 120_000,
  ) {
    this.cursor = start;
  }

  async read(): Promise<Observation[]> {
    const rows = await this.driver.query({
      name: 'alerts.inbox',
      sql: `SELECT id, toUnixTimestamp64Milli(ts) AS ts_ms, observations FROM alert_inbox
            WHERE ts > {since:DateTime64(3)} ORDER BY ts, id`,
      params: { since: toChTime(this.cursor - this.overlapMs) },
      schema: inboxRow,
    });
    const out: Observation[] = [];
    for (const r of rows) {
      if (this.taken.has(r.id)) continue;
      this.taken.set(r.id, r.ts_ms);
      this.cursor = Math.max(this.cursor, r.ts_ms);
      out.push(...(JSON.parse(r.observations) as Observation[]));
    }
    for (const [id, ts] of this.taken) if (ts < this.cursor - 2 * this.overlapMs) this.taken.delete(id);
    return out;
  }
}
