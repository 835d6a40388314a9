import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { eventSchema, isPlainValidEvent } from '../../src/ingest/events.js';

// toEventRows vouches for common events with a plain check and leaves the rest to zod.
// The plain check must never accept what the schema refuses, nor accept an event the
// schema would change while parsing.

const base = () => ({
  id: 'evt-1',
  type: 'record.failed',
  time: '2026-11-20T10:00:00.123Z',
  tenant: 'acme',
  integration: 'salesforce',
  connection: 'acme-sf',
  flow: 'orders.export',
  run: 'run-1',
  record: { id: 'ORD-1', type: 'order', value: 12.5, currency: 'EUR' },
  error: { category: 'data', code: 'validation', message: 'email is required', http_status: 422, type: 'ValidationError', retry_after: 30, exit_code: 1 },
  reason: 'because',
  records_total: 10,
  duration_ms: 250,
  attributes: { region: 'eu-west-1' },
});

const values: unknown[] = [
  undefined, null, '', ' ', 'x', 'a b', 'tab\there', 'ctl\u0007', 'ünïcødé', 'x'.repeat(128), 'x'.repeat(129), 'x'.repeat(257),
  'x'.repeat(4001), 0, -1, 1.5, 99, 100, 599, 600, 2 ** 53, 4_294_967_296, NaN, Infinity, true, [], {}, ['a'], { id: 'R' },
  '2026-11-20T10:00:00Z', '2026-11-20T10:00:00.1+02:00', '2026-02-30T10:00:00Z', '2026-11-20 10:00:00', 'USD', 'usd',
  'record.synced', 'run.failed', 'infra', 'nope',
];

/** Every event made by setting one field (or one nested field) of a valid event to each value, or removing it. */
function* mutations(): Generator<unknown> {
  const event = base();
  for (const key of [...Object.keys(event), 'extra', '__proto__']) {
    for (const value of values) yield { ...base(), [key]: value };
    const without: Record<string, unknown> = base();
    delete without[key];
    yield without;
  }
  for (const nested of ['record', 'error', 'attributes'] as const) {
    for (const key of [...Object.keys(event[nested]), 'extra', '__proto__', 'k'.repeat(129)]) {
      for (const value of values) yield { ...base(), [nested]: { ...base()[nested], [key]: value } };
    }
  }
  yield JSON.parse('{"type":"record.synced","tenant":"a","integration":"b","record":{"id":"r"},"__proto__":{"x":1}}');
  yield JSON.parse('{"type":"record.synced","tenant":"a","integration":"b","record":{"id":"r"},"attributes":{"__proto__":"x"}}');
  yield { ...base(), attributes: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v'])) };
  yield { ...base(), attributes: Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`k${i}`, 'v'])) };
  yield Object.assign(Object.create({ inherited: 1 }), base());
  yield [base()];
}

describe('event validation', () => {
  test('the fast path accepts only events the schema accepts unchanged', () => {
    let vouched = 0;
    let valid = 0;
    for (const item of mutations()) {
      const parsed = eventSchema.safeParse(item);
      // `__proto__` keys always go to zod (its parsed copy drops them); the rest should not need it.
      if (parsed.success && !JSON.stringify(item).includes('"__proto__"')) valid++;
      if (!isPlainValidEvent(item)) continue;
      vouched++;
      assert.ok(parsed.success, `fast path accepted an invalid event: ${JSON.stringify(item)}`);
      assert.deepEqual(parsed.data, item);
    }
    assert.ok(vouched >= valid * 0.9, `the fast path should vouch for nearly every valid event (${vouched} of ${valid})`);
  });

  test('the fast path vouches for ordinary valid events, so zod is the exception', () => {
    assert.equal(isPlainValidEvent(base()), true);
    assert.equal(isPlainValidEvent({ type: 'record.synced', tenant: 'acme', integration: 'hubspot', record: { id: 'C-1' } }), true);
  });
});
