import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { replayQuarantined } from '../../src/ingest/index.js';
import { listQuarantined, StoreError } from '../../src/store/index.js';
import { countsOf, eventRow, expectedCounts, openFaultyStore, spanRow } from './support-store.js';

// Rows the store refuses at flush — here, rows a spool written by an earlier version
// holds, which the door now refuses — must not hold up anyone else's rows.

let env: Awaited<ReturnType<typeof openFaultyStore>>;
beforeEach(async () => {
  env = await openFaultyStore();
});
afterEach(async () => {
  await env.cleanup();
});

const good = (tenant: string, n: number, value = 10) =>
  Array.from({ length: n }, (_, i) => eventRow({ event_id: `${tenant}-${i}`, tenant, record_value: value, has_value: 1, currency: 'USD' }));

describe('poison rows and the quarantine', () => {
  test('rows the store refuses are quarantined with its reason; every other row is stored once and later rows keep flowing', async () => {
    const poison = [
      eventRow({ event_id: 'p-value', tenant: 'mallory', record_value: 1e308, has_value: 1, currency: 'USD' }),
      eventRow({ event_id: 'p-neg', tenant: 'mallory', record_value: -1e308, has_value: 1, currency: 'USD' }),
      { ...eventRow({ event_id: 'p-total', tenant: 'mallory', type: 'run.succeeded' }), records_total: 1e30 },
      { ...eventRow({ event_id: 'p-minus', tenant: 'mallory', type: 'run.succeeded' }), records_total: -5 },
    ];
    await env.batcher.accept({ events: [...good('alice', 3), ...poison, ...good('bob', 2)], spans: [] });
    await env.batcher.flush(); // resolves: nothing is left to retry forever

    assert.deepEqual(await countsOf(env.store, 'alice'), expectedCounts(3, 10));
    assert.deepEqual(await countsOf(env.store, 'bob'), expectedCounts(2, 10));
    const mallory = await countsOf(env.store, 'mallory');
    assert.equal(mallory.events, 0, 'a quarantined row counts nowhere, not even in the raw table');
    assert.equal(mallory.activity, 0);

    const q = await listQuarantined(env.store, { state: 'quarantined', limit: 100 });
    assert.deepEqual(q.map((r) => r.eventId).sort(), ['p-minus', 'p-neg', 'p-total', 'p-value']);
    for (const r of q) {
      assert.equal(r.tenant, 'mallory');
      assert.match(r.reason, /Code: \d+/, 'the engine’s reason is kept');
      assert.equal(JSON.parse(r.row).event_id, r.eventId, 'the row is kept as accepted');
    }
    assert.equal(env.batcher.stats.quarantinedRows, 4);
    assert.equal(env.batcher.backlogSegments(), 0);

    await env.batcher.accept({ events: good('carol', 4), spans: [] });
    await env.batcher.flush();
    assert.deepEqual(await countsOf(env.store, 'carol'), expectedCounts(4, 10));
  });

  test('a row refused for a reason the store later stops giving is replayed once, and counted once', async () => {
    let refusing = true;
    env.store.refuse = (table, lines) =>
      refusing && table === 'events' && lines.some((l) => l.includes('"tenant":"dana"')) ? new StoreError('insert events', 'Code: 27. DB::Exception: Cannot parse input') : null;
    await env.batcher.accept({ events: [...good('dana', 2), ...good('erin', 3)], spans: [] });
    await env.batcher.flush();
    assert.equal((await countsOf(env.store, 'dana')).events, 0);
    assert.deepEqual(await countsOf(env.store, 'erin'), expectedCounts(3, 10));
    const waiting = await listQuarantined(env.store, { state: 'quarantined', limit: 10 });
    assert.equal(waiting.length, 2);

    refusing = false; // the operator fixed the store
    assert.equal(await replayQuarantined(env.store, env.batcher, { ids: waiting.map((r) => r.id) }, Date.now()), 2);
    await env.batcher.flush();
    assert.deepEqual(await countsOf(env.store, 'dana'), expectedCounts(2, 10));
    assert.equal((await listQuarantined(env.store, { state: 'quarantined', limit: 10 })).length, 0);
    assert.equal((await listQuarantined(env.store, { state: 'replayed', limit: 10 })).length, 2);

    assert.equal(await replayQuarantined(env.store, env.batcher, { all: true }, Date.now()), 0, 'a replayed row is not replayed again');
    await env.batcher.flush();
    assert.deepEqual(await countsOf(env.store, 'dana'), expectedCounts(2, 10));
  });

  test('rows that keep failing with an unrecognised error are suspected after a few attempts and quarantined, while the rest go in', async () => {
    env.store.refuse = (table, lines) =>
      table === 'events' && lines.some((l) => l.includes('"tenant":"frank"')) ? new StoreError('insert events', 'Code: 1001. std::exception: something odd') : null;
    await env.batcher.accept({ events: [...good('frank', 1), ...good('gina', 5)], spans: [] });
    for (let attempt = 0; attempt < 3; attempt++) await assert.rejects(env.batcher.flush(), /something odd/, 'an unknown error is first taken as the store’s, and retried');
    assert.equal((await countsOf(env.store, 'gina')).events, 0, 'nothing is stored while the whole batch is retried');
    await env.batcher.flush();
    assert.deepEqual(await countsOf(env.store, 'gina'), expectedCounts(5, 10));
    const q = await listQuarantined(env.store, { state: 'quarantined', limit: 10 });
    assert.deepEqual(q.map((r) => r.eventId), ['frank-0']);
  });

  test('when the store refuses every row for an unrecognised reason, nothing is quarantined: it is the store, not the rows', async () => {
    let down = true;
    env.store.refuse = (table) => (down && table === 'events' ? new StoreError('insert events', 'Code: 1001. std::exception: disk trouble') : null);
    await env.batcher.accept({ events: good('hank', 3), spans: [] });
    for (let attempt = 0; attempt < 5; attempt++) await assert.rejects(env.batcher.flush());
    assert.equal((await listQuarantined(env.store, { limit: 10 })).length, 0);
    down = false;
    await env.batcher.flush();
    assert.deepEqual(await countsOf(env.store, 'hank'), expectedCounts(3, 10));
  });
});

describe('idempotent flushes', () => {
  test('a flush whose spans the store refuses N times leaves every table and rollup as one success would', async () => {
    let refusals = 8;
    env.store.refuse = (table) => (table === 'otel_traces' && refusals-- > 0 ? new StoreError('insert otel_traces', 'Code: 210. DB::NetException: Connection reset by peer') : null);
    await env.batcher.accept({ events: good('ivan', 5, 7.5), spans: [spanRow('1111111111111111'), spanRow('2222222222222222')] });
    let failed = 0;
    while (await env.batcher.flush().then(() => false, () => true)) assert.ok(++failed < 20);
    assert.ok(failed >= 4, `the flush failed ${failed} times before the store took the spans`);
    assert.equal((await listQuarantined(env.store, { limit: 10 })).length, 0, 'a store that refuses everything for a while quarantines nothing');
    assert.deepEqual(await countsOf(env.store, 'ivan'), expectedCounts(5, 7.5));
    const [spans] = await env.store.query<{ n: string }>({ name: 't', sql: "SELECT count() AS n FROM otel_traces WHERE TraceId = {t:String}", params: { t: 'a'.repeat(32) } });
    assert.equal(Number(spans.n), 2);
    assert.equal(env.batcher.stats.storedEvents, 5);
  });

  test('a flush that fails after the store took the rows (before their ids were recorded) is absorbed by insert de-duplication', async () => {
    let failures = 3;
    // The store takes the events, then the id record fails: as if the process died between the two.
    env.store.refuse = (table) => (table === 'event_ids' && failures-- > 0 ? new StoreError('insert event_ids', 'Code: 209. DB::NetException: Timeout exceeded') : null);
    await env.batcher.accept({ events: good('judy', 6, 3), spans: [] });
    for (let attempt = 0; attempt < 3; attempt++) await assert.rejects(env.batcher.flush(), /Timeout/);
    await env.batcher.flush();
    assert.equal(env.store.inserts.filter((i) => i.table === 'events').length, 4, 'the events were sent four times');
    assert.deepEqual(await countsOf(env.store, 'judy'), expectedCounts(6, 3), 'and count once everywhere');
  });

  test('rows spread over more days than one insert may touch are written in several inserts', async () => {
    const day = 24 * 3600 * 1000;
    const start = Date.now() - 200 * day;
    const rows = Array.from({ length: 150 }, (_, i) =>
      eventRow({ event_id: `k-${i}`, tenant: 'kim', ts: new Date(start + i * day).toISOString().slice(0, 23).replace('T', ' '), record_value: 2, has_value: 1, currency: 'USD' }),
    );
    const spans = Array.from({ length: 150 }, (_, i) => spanRow(i.toString(16).padStart(16, '0'), start + i * day));
    await env.batcher.accept({ events: rows, spans });
    await env.batcher.flush();
    assert.deepEqual(await countsOf(env.store, 'kim'), expectedCounts(150, 2));
    assert.ok(env.store.inserts.filter((i) => i.table === 'otel_traces').length >= 2);
    assert.equal((await listQuarantined(env.store, { limit: 10 })).length, 0);
  });
});
