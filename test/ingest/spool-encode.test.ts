import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { crc32 } from 'node:zlib';
import { createRandom, type Random } from '../../src/demo/random.js';
import type { FileHandle } from 'node:fs/promises';
import { writeAll } from '../../src/files.js';
import { encodeBatch, readSegment, rowText, Segment, type RowBatch } from '../../src/ingest/spool.js';
import type { EventRow, SpanRow } from '../../src/store/index.js';

const dir = mkdtempSync(path.join(tmpdir(), 'syncwatch-spool-encode-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/**
 * The spool line as the format defines it, built the plain way (one joined string, then
 * UTF-8): encodeBatch writes each text straight into one buffer and must give these bytes.
 */
function referenceLine(input: RowBatch): Buffer {
  const fields = [
    ...input.events.map((r) => [JSON.stringify([r.tenant, r.event_id]), JSON.stringify(r)]),
    ...input.spans.map((s) => [JSON.stringify(['', `otel:${s.TraceId}${s.SpanId}`]), JSON.stringify(s)]),
  ];
  const body = Buffer.from(fields.map(([key, json]) => `\t${key}\t${json}`).join(''));
  return Buffer.concat([Buffer.from(`#2\t${input.events.length}\t${input.spans.length}\t${crc32(body)}`), body, Buffer.from('\n')]);
}

// ASCII, accents, emoji (4 UTF-8 bytes), a lone surrogate (escaped by JSON.stringify), tabs, quotes.
const PIECES = ['a', 'order-17', 'é', 'Ærø', '😀', '\ud800', '\t', '\n', '"', '\\', '中文', ' '];
const text = (rnd: Random, max: number) => Array.from({ length: rnd.int(0, max) }, () => rnd.pick(PIECES)).join('');

function eventRow(rnd: Random, i: number): EventRow {
  return {
    event_id: `e-${i}-${text(rnd, 3)}`,
    type: 'record.failed',
    ts: '2026-11-20 10:00:00.000',
    received_at: '2026-11-20 10:00:01.000',
    tenant: rnd.pick(['acme', 'globex', 'müller', '租户']),
    integration: 'salesforce',
    connection: '',
    flow: 'orders.export',
    run: 'run-1',
    record_id: `ORD-${i}`,
    record_type: 'order',
    record_value: rnd.int(0, 1_000_000) / 100,
    has_value: 1,
    currency: 'EUR',
    failure_category: 'data',
    failure_code: 'validation',
    failure_retryable: 0,
    // Now and then a long message, so the buffer must grow past its first estimate.
    message: rnd.chance(0.05) ? text(rnd, 3000) : text(rnd, 40),
    http_status: 422,
    records_total: 0,
    duration_ms: rnd.int(0, 5000),
    attributes: rnd.chance(0.5) ? { [text(rnd, 5) || 'k']: text(rnd, 20) } : {},
    source: 'event',
  };
}

function spanRow(rnd: Random, i: number): SpanRow {
  return {
    Timestamp: '2026-11-20 10:00:00.000000000',
    TraceId: `${i}`.padStart(32, '0'),
    SpanId: `${i}`.padStart(16, '0'),
    ParentSpanId: '',
    TraceState: '',
    SpanName: text(rnd, 10),
    SpanKind: 'Internal',
    ServiceName: 'runner',
    ResourceAttributes: {},
    ScopeName: '',
    ScopeVersion: '',
    SpanAttributes: { note: text(rnd, 30) },
    Duration: '1000',
    StatusCode: 'Ok',
    StatusMessage: '',
    'Events.Timestamp': [],
    'Events.Name': [],
    'Events.Attributes': [],
    'Links.TraceId': [],
    'Links.SpanId': [],
    'Links.TraceState': [],
    'Links.Attributes': [],
  };
}

function randomBatch(seed: number): RowBatch {
  const rnd = createRandom(seed);
  const events = Array.from({ length: rnd.int(0, rnd.chance(0.2) ? 400 : 6) }, (_, i) => eventRow(rnd, i));
  const spans = Array.from({ length: rnd.int(0, 3) }, (_, i) => spanRow(rnd, i));
  return { events, spans, newIds: new Set(events.filter(() => rnd.chance(0.3))) };
}

describe('spool line encoding', () => {
  test('gives the bytes of the line format on 300 generated batches (non-ASCII, escapes, long rows, spans)', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const input = randomBatch(seed);
      const { batch, line } = encodeBatch(input);
      assert.ok(line.equals(referenceLine(input)), `seed ${seed}: the line differs from the format`);
      assert.deepEqual(
        batch.events.map((r) => [rowText(r), r.tenant, r.eventId, r.lookup]),
        input.events.map((r) => [JSON.stringify(r), r.tenant, r.event_id, !input.newIds!.has(r)]),
      );
      assert.deepEqual(
        batch.spans.map((s) => [rowText(s), s.eventId]),
        input.spans.map((s) => [JSON.stringify(s), `otel:${s.TraceId}${s.SpanId}`]),
      );
    }
  });

  test('lines written one after another read back as the same rows', async () => {
    const file = path.join(dir, 'seg-000000000001.spool');
    const segment = new Segment(file);
    const inputs = [randomBatch(11), randomBatch(12), randomBatch(13)];
    await Promise.all(inputs.map((input) => encodeBatch(input)).map(({ batch, line }) => segment.append(batch, line)));
    await segment.seal();
    const read = await readSegment(file);
    assert.deepEqual(
      read.events.map((r) => [rowText(r), r.tenant, r.eventId]),
      inputs.flatMap((b) => b.events.map((r) => [JSON.stringify(r), r.tenant, r.event_id])),
    );
    assert.deepEqual(
      read.spans.map((s) => rowText(s)),
      inputs.flatMap((b) => b.spans.map((s) => JSON.stringify(s))),
    );
  });

  test('a short write (the OS took part of the lines) is finished from where it stopped, in order', async () => {
    // The OS condition cannot be made on demand, so a handle that takes at most 5 bytes per call stands in for it.
    const written: Buffer[] = [];
    const take = (data: Buffer) => {
      written.push(Buffer.from(data.subarray(0, 5)));
      return Math.min(5, data.length);
    };
    const fh = {
      writev: async (lines: Buffer[]) => ({ bytesWritten: take(Buffer.concat(lines)) }),
      write: async (data: Buffer) => ({ bytesWritten: take(data) }),
    } as unknown as FileHandle;
    const lines = [Buffer.from('first line\n'), Buffer.from('second\n')];
    assert.equal(await writeAll(fh, lines), 18);
    assert.equal(Buffer.concat(written).toString(), 'first line\nsecond\n');
  });
});
