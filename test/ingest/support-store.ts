import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { Batcher } from '../../src/ingest/batcher.js';
import { EmbeddedDriver, migrate, type Driver, type EventRow, type JsonLines, type Query, type RowCopy, type SpanRow } from '../../src/store/index.js';

/**
 * A real embedded store behind a hook that can refuse inserts: the refusal is thrown
 * instead of the insert (nothing written), or after it (`after`: the table took the rows,
 * then the caller saw an error — a crash or a lost answer).
 */
export class FaultyStore implements Driver {
  readonly kind = 'embedded' as const;
  /** Return an error to refuse this insert. */
  refuse: (table: string, lines: readonly string[]) => Error | null = () => null;
  /** Return an error to throw after this insert went in. */
  after: (table: string, lines: readonly string[]) => Error | null = () => null;
  inserts: { table: string; rows: number }[] = [];

  constructor(readonly inner: EmbeddedDriver) {}

  query<T>(q: Query<T>): Promise<T[]> {
    return this.inner.query(q);
  }
  async insert(table: string, rows: readonly object[]): Promise<void> {
    await this.insertJson(table, rows.map((r) => JSON.stringify(r)));
  }
  async insertJson(table: string, payload: JsonLines): Promise<void> {
    const lines = asLines(payload);
    const refused = this.refuse(table, lines);
    if (refused) throw refused;
    await this.inner.insertJson(table, lines);
    this.inserts.push({ table, rows: lines.length });
    const late = this.after(table, lines);
    if (late) throw late;
  }
  /**
   * The ingest's insert with its ids copied from the same rows. Refusing the copy's target
   * (`event_ids`) lets the table take the rows and then fails: the ids were not recorded.
   */
  async insertJsonThenCopy(table: string, payload: JsonLines, copy: RowCopy): Promise<void> {
    const lines = asLines(payload);
    const refused = this.refuse(table, lines);
    if (refused) throw refused;
    const copyRefused = this.refuse(copy.into, lines);
    if (copyRefused) {
      await this.inner.insertJson(table, lines);
      this.inserts.push({ table, rows: lines.length });
      throw copyRefused;
    }
    await this.inner.insertJsonThenCopy(table, lines, copy);
    this.inserts.push({ table, rows: lines.length }, { table: copy.into, rows: lines.length });
    const late = this.after(table, lines);
    if (late) throw late;
  }
  command(sql: string, params?: Record<string, unknown>): Promise<void> {
    return this.inner.command(sql, params);
  }
  ping(): Promise<boolean> {
    return this.inner.ping();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/** Serialised rows as one string per row (the hooks' view of an insert). */
export const asLines = (lines: JsonLines): readonly string[] => (Buffer.isBuffer(lines) ? lines.toString('utf8').split('\n').filter((l) => l !== '') : lines);

/** A migrated embedded store and a batcher over it (hand-flushed), in a temp dir. */
export async function openFaultyStore(): Promise<{ store: FaultyStore; batcher: Batcher; cleanup: () => Promise<void> }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'syncwatch-faulty-'));
  const inner = new EmbeddedDriver(path.join(dir, 'clickhouse'));
  await migrate(inner);
  const store = new FaultyStore(inner);
  const batcher = new Batcher(store, { spoolDir: path.join(dir, 'spool'), batchRows: 100_000, batchMs: 3_600_000, spoolMaxBytes: 1 << 30 }, pino({ level: 'silent' }));
  return {
    store,
    batcher,
    async cleanup() {
      await batcher.close();
      await inner.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const iso = (ms: number) => new Date(ms).toISOString().slice(0, 23).replace('T', ' ');

/** An event row as ingest would produce it (fields not given take neutral values; the integration is the tenant's own). */
export function eventRow(p: Partial<EventRow> & { event_id: string; tenant: string }): EventRow {
  const now = iso(Date.now() - 60_000);
  return {
    type: 'record.synced', ts: now, received_at: now, integration: `int-${p.tenant}`, connection: '', flow: 'contacts.import', run: 'run-1',
    record_id: p.event_id, record_type: 'contact', record_value: 0, has_value: 0, currency: '', failure_category: '', failure_code: '',
    message: '', http_status: 0, records_total: 0, duration_ms: 0, attributes: {}, source: 'event', ...p,
  };
}

/** A whole-span row as ingest would produce it. */
export function spanRow(spanId: string, at = Date.now() - 60_000): SpanRow {
  const ts = `${iso(at)}000000`;
  return {
    Timestamp: ts, TraceId: 'a'.repeat(32), SpanId: spanId, ParentSpanId: '', TraceState: '', SpanName: 'sync', SpanKind: 'Internal',
    ServiceName: 'runner', ResourceAttributes: {}, ScopeName: 'test', ScopeVersion: '', SpanAttributes: { 'tenant.id': 'x' },
    Duration: '1000', StatusCode: 'Ok', StatusMessage: '', 'Events.Timestamp': [], 'Events.Name': [], 'Events.Attributes': [],
    'Links.TraceId': [], 'Links.SpanId': [], 'Links.TraceState': [], 'Links.Attributes': [],
  };
}

/** What a tenant's rows add up to in the raw table and in every rollup that counts records. */
export async function countsOf(driver: Driver, tenant: string): Promise<Record<string, number>> {
  const one = async (name: string, sql: string) => {
    const [row] = await driver.query<{ n: string | number }>({ name, sql, params: { tenant } });
    return Number(row.n);
  };
  return {
    events: await one('raw', 'SELECT count() AS n FROM events WHERE tenant = {tenant:String}'),
    eventsSynced: await one('raw.synced', "SELECT countIf(type = 'record.synced') AS n FROM events WHERE tenant = {tenant:String}"),
    valueSynced: await one('raw.value', "SELECT sumIf(record_value, type = 'record.synced') AS n FROM events WHERE tenant = {tenant:String}"),
    flowStatsSynced: await one('flow_stats', 'SELECT sum(records_synced) AS n FROM flow_stats WHERE tenant = {tenant:String}'),
    valueStatsSynced: await one('value_stats', 'SELECT sum(synced) AS n FROM value_stats WHERE tenant = {tenant:String}'),
    valueStatsValue: await one('value_stats.value', 'SELECT toFloat64(sum(synced_value)) AS n FROM value_stats WHERE tenant = {tenant:String}'),
    recordAttempts: await one('record_attempts', 'SELECT count() AS n FROM record_events WHERE tenant = {tenant:String}'),
    activity: await one('activity_log', 'SELECT count() AS n FROM activity_log WHERE tenant = {tenant:String}'),
    adoptionMoved: await one('adoption_moved', "SELECT sum(records) AS n FROM adoption_moved_hourly WHERE integration = concat('int-', {tenant:String})"),
  };
}

/** The counts `n` synced records worth `value` each should produce, computed from the rows themselves. */
export function expectedCounts(n: number, value: number): Record<string, number> {
  return { events: n, eventsSynced: n, valueSynced: n * value, flowStatsSynced: n, valueStatsSynced: n, valueStatsValue: n * value, recordAttempts: n, activity: n, adoptionMoved: n };
}
