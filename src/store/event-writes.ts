/**
 * Which part of the event history a write may change, told before the write starts: the
 * earliest UTC day (`YYYY-MM-DD`) of each tenant's rows, or `'all'` when the writer cannot
 * say (a statement, a row it cannot read). A derived answer computed from the history before
 * some day stays true until a write reaches back before that day (value at risk's
 * snapshots, src/insights/value-at-risk-snapshots.ts).
 */
export type EventTouch = ReadonlyMap<string, string> | 'all';

/** A write to the event history in progress. */
export interface EventWrite {
  readonly touch: EventTouch;
}

/**
 * The writes to `events` of the one process that owns the store (the embedded engine: one
 * process per data directory). A remote server has other writers this process never sees,
 * so a remote driver has no such log and nothing may rely on one there.
 */
export interface EventWriteLog {
  /** Calls `listener` as each write starts (before any of its rows can be read); returns the unsubscribe. */
  subscribe(listener: (write: EventWrite) => void): () => void;
  /** The writes started and not yet finished (succeeded or failed). */
  inFlight(): readonly EventWrite[];
}

/** True when `touch` may change a history cut before `day` (`YYYY-MM-DD`) for `tenant` (null: any tenant). */
export function touchesBefore(touch: EventTouch, tenant: string | null, day: string): boolean {
  if (touch === 'all') return true;
  if (tenant !== null) {
    const from = touch.get(tenant);
    return from !== undefined && from < day;
  }
  for (const from of touch.values()) if (from < day) return true;
  return false;
}

/** The log an embedded driver keeps: it brackets each write to `events` with {@link run}. */
export class EventWrites implements EventWriteLog {
  private readonly listeners = new Set<(write: EventWrite) => void>();
  private readonly running = new Set<EventWrite>();

  subscribe(listener: (write: EventWrite) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  inFlight(): readonly EventWrite[] {
    return [...this.running];
  }

  /** Runs `write` as a write touching `touch`: listeners hear of it first. */
  async run<T>(touch: EventTouch, write: () => Promise<T>): Promise<T> {
    const entry: EventWrite = { touch };
    this.running.add(entry);
    try {
      for (const listener of this.listeners) listener(entry);
      return await write();
    } finally {
      this.running.delete(entry);
    }
  }
}

const earliest = (days: Map<string, string>, tenant: string, day: string) => {
  const seen = days.get(tenant);
  if (seen === undefined || day < seen) days.set(tenant, day);
};

const DAY = /^\d{4}-\d{2}-\d{2}/;

/** The touch of rows given as objects (`tenant`, `ts` as `YYYY-MM-DD hh:mm:ss…` text). */
export function touchOfRows(rows: readonly object[]): EventTouch {
  const days = new Map<string, string>();
  for (const row of rows) {
    const { tenant, ts } = row as { tenant?: unknown; ts?: unknown };
    if (typeof tenant !== 'string' || typeof ts !== 'string' || !DAY.test(ts)) return 'all';
    earliest(days, tenant, ts.slice(0, 10));
  }
  return days;
}

const TENANT = '"tenant":"';
const TS = '"ts":"';

/**
 * The touch of rows whose tenants and days (`YYYY-MM-DD` of their `ts`) the writer already
 * holds, aligned by index (ingest: from its keys and the days it splits inserts by); a day
 * that is not one is `'all'`.
 */
export function touchOfDays(tenants: readonly string[], days: readonly string[]): EventTouch {
  const out = new Map<string, string>();
  for (let i = 0; i < tenants.length; i++) {
    const had = out.get(tenants[i]);
    if (had !== undefined && had <= days[i]) continue;
    if (!DAY.test(days[i])) return 'all';
    out.set(tenants[i], days[i]);
  }
  return out;
}

const TENANT_BYTES = Buffer.from(TENANT);
const TS_BYTES = Buffer.from(TS);
const LF = 0x0a;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * The touch of a JSONEachRow payload as ingest writes it (one row per line): `tenant` and
 * `ts` are top-level keys ahead of any nested object (src/ingest/events.ts), so their first
 * occurrence in a line is theirs (a quote inside a value is escaped). A line without them,
 * or with an escaped tenant, is `'all'`. What the embedded driver reads when the writer
 * did not say (touchOfDays).
 */
export function touchOfPayload(payload: Buffer): EventTouch {
  const days = new Map<string, string>();
  for (let start = 0; start < payload.length; ) {
    let end = payload.indexOf(LF, start);
    if (end < 0) end = payload.length;
    const t = payload.indexOf(TENANT_BYTES, start);
    const s = payload.indexOf(TS_BYTES, start);
    if (t < 0 || s < 0 || t >= end || s >= end) return 'all';
    const from = t + TENANT_BYTES.length;
    const close = payload.indexOf(QUOTE, from);
    if (close < 0 || close >= end || payload.subarray(from, close).includes(BACKSLASH)) return 'all';
    const day = payload.toString('latin1', s + TS_BYTES.length, s + TS_BYTES.length + 10);
    if (!DAY.test(day)) return 'all';
    earliest(days, payload.toString('utf8', from, close), day);
    start = end + 1;
  }
  return days;
}

/**
 * A statement that writes `events` or a table derived from it (insert, delete, alter,
 * truncate, drop or rename of one); reading them, or writing other tables, touches nothing.
 */
const HISTORY_WRITE =
  /\b(?:INSERT\s+INTO|DELETE\s+FROM|ALTER\s+TABLE|TRUNCATE(?:\s+TABLE)?|DROP\s+(?:TABLE|VIEW)(?:\s+IF\s+EXISTS)?|RENAME\s+TABLE|EXCHANGE\s+TABLES)\s+`?(?:events|events_local|record_\w+|value_stats)\b/i;

/** The touch of a statement: `'all'` when it writes the history (see HISTORY_WRITE), else null. */
export const touchOfStatement = (sql: string): EventTouch | null => (HISTORY_WRITE.test(sql) ? 'all' : null);
