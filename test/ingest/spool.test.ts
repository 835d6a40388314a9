import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { encodeBatch, readSegment, rowText, Segment } from '../../src/ingest/spool.js';
import type { EventRow } from '../../src/store/index.js';

const dir = mkdtempSync(path.join(tmpdir(), 'syncwatch-spool-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const segmentFile = () => path.join(dir, `seg-${String(++n).padStart(12, '0')}.spool`);

const row = (eventId: string, over: Partial<EventRow> = {}): EventRow => ({
  event_id: eventId,
  type: 'record.synced',
  ts: '2026-11-20 10:00:00.000',
  received_at: '2026-11-20 10:00:01.000',
  tenant: 'acme',
  integration: 'salesforce',
  connection: '',
  flow: 'orders.export',
  run: 'run-1',
  record_id: 'ORD-1',
  record_type: 'order',
  record_value: 12.5,
  has_value: 1,
  currency: 'USD',
  failure_category: '',
  failure_code: '',
  message: '',
  http_status: 0,
  records_total: 0,
  duration_ms: 0,
  attributes: {},
  source: 'event',
  ...over,
});

async function spool(file: string, batches: EventRow[][]): Promise<void> {
  const segment = new Segment(file);
  for (const events of batches) {
    const { batch, line } = encodeBatch({ events, spans: [] });
    await segment.append(batch, line);
  }
  await segment.seal();
}

describe('spool', () => {
  test('accepted rows read back from disk as the same row texts and keys, all to be looked up again', async () => {
    const file = segmentFile();
    // Tabs, newlines and quotes inside values must not break the line format.
    const tricky = row('id\twith\ttabs\nand "quotes"', { tenant: 'globex', message: 'line one\nline two\ttab', attributes: { 'k\t': 'v\n' } });
    await spool(file, [[row('e-1'), tricky], [row('e-2')]]);
    const read = await readSegment(file);
    assert.deepEqual(
      read.events.map((r) => ({ json: JSON.parse(rowText(r)), tenant: r.tenant, eventId: r.eventId, lookup: r.lookup })),
      [row('e-1'), tricky, row('e-2')].map((r) => ({ json: r, tenant: r.tenant, eventId: r.event_id, lookup: true })),
    );
    assert.equal(read.spans.length, 0);
  });

  test('a torn or corrupt line (a crash before the acknowledgement) is skipped, the rest replayed', async () => {
    const file = segmentFile();
    await spool(file, [[row('ok-1')], [row('bad-2')], [row('ok-3')]]);
    const lines = readFileSync(file, 'utf8').split('\n');
    lines[1] = lines[1].replace('bad-2', 'bad-X'); // same length, checksum no longer matches
    writeFileSync(file, lines.join('\n'));
    const { line } = encodeBatch({ events: [row('torn-4'), row('torn-5')], spans: [] });
    appendFileSync(file, line.slice(0, line.length - 40)); // torn mid-row, no newline
    const read = await readSegment(file);
    assert.deepEqual(read.events.map((r) => r.eventId), ['ok-1', 'ok-3']);
  });

  test('segments written in the first line format are still replayed', async () => {
    const file = path.join(dir, 'seg-000000000099.ndjson');
    writeFileSync(file, JSON.stringify({ events: [row('old-1'), row('old-2')], spans: [] }) + '\n{"events":[tor');
    const read = await readSegment(file);
    assert.deepEqual(read.events.map((r) => [r.eventId, JSON.parse(rowText(r))]), [['old-1', row('old-1')], ['old-2', row('old-2')]]);
  });
});
