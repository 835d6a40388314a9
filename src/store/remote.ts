import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { jsonLinesPayload, parseRows, StoreError, type Driver, type JsonLines, type Query } from './driver.js';

/** Connection settings of a remote ClickHouse server or cluster (CLICKHOUSE_* variables). */
export interface RemoteOptions {
  url: string;
  user?: string;
  password?: string;
  database: string;
  /** Set for a self-managed cluster: inserts into Distributed tables then wait for the shards. */
  cluster?: string;
}

/** ClickHouse over HTTP through the official `@clickhouse/client`. */
/**
 * Inserts are idempotent under retry: a block the table (or a view's target) has
 * already taken is dropped, given the tables' deduplication windows (migration 025).
 * The server's default leaves views out of it, and an asynchronous insert is de-duplicated
 * only under other settings; these settings say so explicitly.
 */
const INSERT_SETTINGS = { async_insert: 0, insert_deduplicate: 1, deduplicate_blocks_in_dependent_materialized_views: 1 } as const;
/**
 * On a cluster, an insert into a Distributed table returns only once every shard has
 * the rows (by default it queues them and returns): the de-duplication look-up of the
 * next flush, on any process, then sees them, and a retry re-sends the same blocks.
 */
const CLUSTER_INSERT_SETTINGS = { ...INSERT_SETTINGS, distributed_foreground_insert: 1 } as const;

export class RemoteDriver implements Driver {
  readonly kind = 'remote' as const;
  readonly cluster?: string;
  private readonly client: ClickHouseClient;
  private readonly insertSettings: Record<string, 0 | 1>;

  constructor(opts: RemoteOptions) {
    this.cluster = opts.cluster;
    this.insertSettings = opts.cluster ? CLUSTER_INSERT_SETTINGS : INSERT_SETTINGS;
    this.client = createClient({
      url: opts.url,
      username: opts.user ?? 'default',
      password: opts.password ?? '',
      database: opts.database,
      request_timeout: 60_000,
      clickhouse_settings: { date_time_input_format: 'best_effort' },
    });
  }

  async query<T>(q: Query<T>): Promise<T[]> {
    let text: string;
    try {
      const rs = await this.client.query({ query: q.sql, query_params: q.params, format: 'JSONEachRow' });
      text = await rs.text();
    } catch (err) {
      throw new StoreError(q.name, (err as Error).message, err);
    }
    return parseRows(q, text);
  }

  async insert(table: string, rows: readonly object[]): Promise<void> {
    if (rows.length === 0) return;
    try {
      await this.client.insert({ table, values: rows as Record<string, unknown>[], format: 'JSONEachRow', clickhouse_settings: this.insertSettings });
    } catch (err) {
      throw new StoreError(`insert ${table}`, (err as Error).message, err);
    }
  }

  async insertJson(table: string, lines: JsonLines): Promise<void> {
    if (lines.length === 0) return;
    if (!/^\w+$/.test(table)) throw new StoreError(`insert ${table}`, 'invalid table name');
    try {
      // exec with a byte stream sends the already serialised rows as they are (insert()
      // wants objects for JSON formats and would serialise them again).
      const res = await this.client.exec({
        query: `INSERT INTO ${table} FORMAT JSONEachRow`,
        values: Readable.from([jsonLinesPayload(lines)], { objectMode: false }),
        clickhouse_settings: this.insertSettings,
      });
      res.stream.resume();
      await finished(res.stream);
    } catch (err) {
      throw new StoreError(`insert ${table}`, (err as Error).message, err);
    }
  }

  async command(sql: string, params?: Record<string, unknown>): Promise<void> {
    try {
      await this.client.command({ query: sql, query_params: params });
    } catch (err) {
      throw new StoreError('command', (err as Error).message, err);
    }
  }

  async ping(): Promise<boolean> {
    const r = await this.client.ping();
    return r.success;
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
