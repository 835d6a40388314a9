import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AppError } from '../../src/errors.js';
import { describePeriod, lastFullPeriod, nextPeriod, parsePeriod, previousPeriod, resolvePeriod } from '../../src/reports/index.js';

const iso = (p: { from: Date; to: Date }) => [p.from.toISOString().slice(0, 10), p.to.toISOString().slice(0, 10)];

describe('report periods', () => {
  test('a month and an ISO week, with their previous and next periods', () => {
    const oct = parsePeriod('2026-10');
    assert.deepEqual(iso(oct), ['2026-10-01', '2026-11-01']);
    assert.equal(previousPeriod(oct).label, '2026-09');
    assert.equal(nextPeriod(oct).label, '2026-11');
    assert.equal(previousPeriod(parsePeriod('2026-01')).label, '2025-12');
    assert.equal(describePeriod(oct), 'October 2026');

    const w44 = parsePeriod('2026-W44');
    assert.deepEqual(iso(w44), ['2026-10-26', '2026-11-02']);
    assert.equal(previousPeriod(w44).label, '2026-W43');
    assert.equal(describePeriod(w44), 'week 44 of 2026');
    // ISO years: 2026 has 53 weeks (it starts on a Thursday), 2025 has 52.
    assert.deepEqual(iso(parsePeriod('2026-W53')), ['2026-12-28', '2027-01-04']);
    assert.equal(nextPeriod(parsePeriod('2026-W53')).label, '2027-W01');
    assert.deepEqual(iso(parsePeriod('2025-W01')), ['2024-12-30', '2025-01-06']);
  });

  test('the last full month and week before an instant', () => {
    const now = Date.UTC(2026, 10, 2, 6); // Monday 2 November 2026, 06:00 UTC
    assert.equal(lastFullPeriod('month', now).label, '2026-10');
    assert.equal(lastFullPeriod('week', now).label, '2026-W44');
    assert.equal(lastFullPeriod('week', Date.UTC(2026, 10, 1, 23, 59)).label, '2026-W43', 'Sunday still belongs to week 44');
  });

  test('from/to ranges: dates or timestamps, compared with the range of equal length before', () => {
    const now = Date.UTC(2026, 10, 22);
    const r = resolvePeriod({ from: '2026-10-05', to: '2026-10-12T12:00:00Z' }, now);
    assert.equal(r.kind, 'range');
    assert.deepEqual([r.from.toISOString(), r.to.toISOString()], ['2026-10-05T00:00:00.000Z', '2026-10-12T12:00:00.000Z']);
    const p = previousPeriod(r);
    assert.deepEqual([p.from.toISOString(), p.to.toISOString()], ['2026-09-27T12:00:00.000Z', '2026-10-05T00:00:00.000Z']);
    assert.equal(resolvePeriod({ from: '2026-11-01' }, now).to.getTime(), now, 'to defaults to now');
    assert.equal(resolvePeriod({}, now).label, '2026-10', 'the default is the last full month');
  });

  test('bad input is a 400 naming the parameter', () => {
    const cases: [Parameters<typeof resolvePeriod>[0], RegExp][] = [
      [{ period: '2026-00' }, /^period:/],
      [{ period: '2025-W53' }, /^period: 2025 has no ISO week 53/],
      [{ period: '2026-W54' }, /^period:/],
      [{ period: '26-10' }, /^period:/],
      [{ from: '2026-13-01' }, /^from:/],
      [{ from: '2026-10-01', to: 'tomorrow' }, /^to:/],
      [{ from: '2026-10-02', to: '2026-10-01' }, /^from: must be before to/],
      [{ to: '2026-10-01' }, /^from: is required/],
    ];
    for (const [q, message] of cases) {
      assert.throws(() => resolvePeriod(q, Date.UTC(2026, 10, 22)), (err: unknown) => err instanceof AppError && err.status === 400 && message.test(err.message), JSON.stringify(q));
    }
  });
});
