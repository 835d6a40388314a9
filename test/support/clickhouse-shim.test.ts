import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ClickHouseError, ClickHouseLogLevel, TupleParam, createClient, type ClickHouseClient,
  type ClickHouseClientConfigOptions } from '@clickhouse/client';
import { startClickHouseShim, type ClickHouseShim } from './clickhouse-shim.js';

/** The failures below are expected; keep the client from logging each one. */
const connect = (options: ClickHouseClientConfigOptions) =>
  createClient({ ...options, log: { level: ClickHouseLogLevel.OFF } });

const TRICKY_ROWS = [
  { id: 'a', note: `it's a "quoted" \\ back\\slash`, attrs: { plan: 'pro', "o'k": 'y"es' }, ts: '2024-05-01 10:20:30.123' },
  { id: 'b', note: 'line one\nline two\ttabbed', attrs: {}, ts: '2024-05-01 10:20:31.000' },
  { id: 'c', note: 'unicode: é ü 中文 🚀', attrs: { emoji: '🚀' }, ts: '2024-05-02 00:00:00.999' },
];

describe('ClickHouse HTTP shim through @clickhouse/client', () => {
  let shim: ClickHouseShim;
  let client: ClickHouseClient;

  before(async () => {
    shim = await startClickHouseShim();
    client = connect({ url: shim.url });
    await client.command({
      query: `CREATE TABLE events (id String, note String, attrs Map(String, String), ts DateTime64(3))
              ENGINE = MergeTree ORDER BY (id, ts)`,
    });
  });

  after(async () => {
    await client?.close();
    await shim?.stop();
  });

  it('answers ping', async () => {
    assert.deepEqual(await client.ping(), { success: true });
    assert.equal((await client.ping({ select: true })).success, true);
  });

  it('round-trips inserted rows with quotes, newlines, unicode, maps and millisecond times', async () => {
    const inserted = await client.insert({ table: 'events', values: TRICKY_ROWS, format: 'JSONEachRow' });
    assert.equal(inserted.executed, true);
    assert.equal(inserted.summary?.written_rows, '3');

    const result = await client.query({ query: 'SELECT id, note, attrs, ts FROM events ORDER BY id', format: 'JSONEachRow' });
    assert.deepEqual(await result.json(), TRICKY_ROWS);
  });

  it('binds parameters of several types server-side', async () => {
    const result = await client.query({
      query: `SELECT {s:String} AS s, {ids:Array(String)} AS ids, {from:DateTime64(3)} AS from_ts,
                     {at:DateTime64(3)} AS at_ts, {n:UInt32} AS n, {tags:Map(String, String)} AS tags,
                     {maybe:Nullable(String)} AS maybe, {pair:Tuple(String, UInt8)} AS pair`,
      query_params: {
        s: `O'Brien "said" \\ hi\n\ttab`,
        ids: ["a'b", 'c\\d', 'e,f', ''],
        from: '2024-05-01 10:20:30.500',
        at: new Date(Date.UTC(2024, 4, 1, 10, 20, 30, 250)),
        n: 4_000_000_000,
        tags: { "k'1": 'v\\1' },
        maybe: null,
        pair: new TupleParam(["x'y\\", 2]),
      },
      clickhouse_settings: { session_timezone: 'UTC' },
      format: 'JSONEachRow',
    });
    assert.deepEqual(await result.json(), [{
      s: `O'Brien "said" \\ hi\n\ttab`,
      ids: ["a'b", 'c\\d', 'e,f', ''],
      from_ts: '2024-05-01 10:20:30.500',
      at_ts: '2024-05-01 10:20:30.250',
      n: 4_000_000_000,
      tags: { "k'1": 'v\\1' },
      maybe: null,
      pair: ["x'y\\", 2],
    }]);
  });

  it('treats an injection attempt in a parameter as data', async () => {
    const attack = "a' OR 1=1; DROP TABLE events; --";
    const result = await client.query({
      query: 'SELECT id FROM events WHERE id = {id:String} OR id IN {ids:Array(String)} ORDER BY id',
      query_params: { id: attack, ids: [attack, "') OR ('1'='1"] },
      format: 'JSONEachRow',
    });
    assert.deepEqual(await result.json(), []);
    const count = await client.query({ query: 'SELECT count() AS c FROM events', format: 'JSONEachRow' });
    assert.deepEqual(await count.json(), [{ c: 3 }]);
  });

  it('filters with bound values like a real server', async () => {
    const result = await client.query({
      query: 'SELECT id FROM events WHERE ts >= {from:DateTime64(3)} AND has({ids:Array(String)}, id) ORDER BY id',
      query_params: { from: '2024-05-01 10:20:31.000', ids: ['a', 'b', 'c'] },
      format: 'JSONEachRow',
    });
    assert.deepEqual(await result.json(), [{ id: 'b' }, { id: 'c' }]);
  });

  it('surfaces a failing query as a ClickHouseError with the server message', async () => {
    await assert.rejects(
      client.query({ query: 'SELECT * FROM no_such_table', format: 'JSONEachRow' }),
      (error: unknown) => {
        assert.ok(error instanceof ClickHouseError);
        assert.equal(error.code, '60');
        assert.equal(error.type, 'UNKNOWN_TABLE');
        assert.match(error.message, /no_such_table/);
        return true;
      },
    );
    await assert.rejects(client.command({ query: 'SELEC 1' }), { code: '62', type: 'SYNTAX_ERROR' });
    await assert.rejects(
      client.insert({ table: 'events', values: [{ id: 'x', ts: 'not a time' }], format: 'JSONEachRow' }),
      { code: '41' },
    );
  });

  it('applies settings, a database, gzip both ways and multipart parameters', async () => {
    await client.command({ query: 'CREATE DATABASE IF NOT EXISTS other' });
    const other = connect({
      url: shim.url,
      database: 'other',
      compression: { request: true, response: true },
      use_multipart_params: true,
      clickhouse_settings: { wait_end_of_query: 1, send_progress_in_http_headers: 0 },
    });
    try {
      await other.command({ query: 'CREATE TABLE t (id UInt64, at DateTime) ENGINE = MergeTree ORDER BY id' });
      await other.insert({
        table: 't',
        values: [{ id: 1, at: '2024-05-01T10:20:30Z' }],
        format: 'JSONEachRow',
        clickhouse_settings: { date_time_input_format: 'best_effort' },
      });
      const result = await other.query({
        query: 'SELECT currentDatabase() AS db, id, toString(at, \'UTC\') AS at FROM t WHERE id IN {ids:Array(UInt64)}',
        query_params: { ids: [1, 2] },
        format: 'JSONEachRow',
      });
      assert.deepEqual(await result.json(), [{ db: 'other', id: 1, at: '2024-05-01 10:20:30' }]);
    } finally {
      await other.close();
    }
    const unknown = client.query({ query: 'SELECT 1', clickhouse_settings: { no_such_setting: 1 } as never });
    await assert.rejects(unknown, { code: '115' });
  });
});

describe('ClickHouse HTTP shim with a password', () => {
  it('rejects a wrong password and accepts the right one', async () => {
    const shim = await startClickHouseShim({ password: 's3cret' });
    const wrong = connect({ url: shim.url, password: 'nope' });
    const right = connect({ url: shim.url, username: 'anyone', password: 's3cret' });
    try {
      await assert.rejects(wrong.query({ query: 'SELECT 1' }), { code: '516', type: 'AUTHENTICATION_FAILED' });
      const result = await right.query({ query: 'SELECT 1 AS one', format: 'JSONEachRow' });
      assert.deepEqual(await result.json(), [{ one: 1 }]);
    } finally {
      await wrong.close();
      await right.close();
      await shim.stop();
    }
  });
});
