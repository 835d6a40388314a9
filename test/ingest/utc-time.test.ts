import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createRandom } from '../../src/demo/random.js';
import { isUtcMs, utcMsToChTime, utcMsToEpoch } from '../../src/ingest/utc-time.js';
import { toChTime } from '../../src/ch-time.js';

const FIRST = Date.parse('0000-01-01T00:00:00.000Z');
const LAST = Date.parse('9999-12-31T23:59:59.999Z');
const DAY = 24 * 3600 * 1000;

/** Every millisecond time in years 0000-9999 written as toISOString does. */
function times(): string[] {
  const rnd = createRandom(15);
  const out: string[] = [];
  for (let i = 0; i < 50_000; i++) out.push(new Date(FIRST + Math.floor(rnd.next() * (LAST - FIRST))).toISOString());
  // Around month ends and leap days of century years (1900 and 2100 are not leap years, 2000 is).
  for (const year of ['0000', '0004', '0100', '1600', '1900', '1970', '2000', '2024', '2026', '2100', '9999']) {
    const start = Date.parse(`${year}-01-01T00:00:00.000Z`);
    for (let d = 0; d < 366; d++) for (const ms of [0, 1, DAY - 1]) if (start + d * DAY + ms <= LAST) out.push(new Date(start + d * DAY + ms).toISOString());
  }
  out.push(new Date(FIRST).toISOString(), new Date(LAST).toISOString(), '1969-12-31T23:59:59.999Z', '1970-01-01T00:00:00.000Z');
  return out;
}

describe('UTC times read by their digits', () => {
  test('give what Date.parse gives, and the literal toChTime writes, on 60 000 times from year 0 to 9999', () => {
    for (const time of times()) {
      assert.ok(isUtcMs(time), time);
      assert.equal(utcMsToEpoch(time), Date.parse(time), time);
      assert.equal(utcMsToChTime(time), toChTime(Date.parse(time)), time);
    }
  });

  test('other ISO-8601 forms are left to Date.parse', () => {
    for (const time of ['2026-11-20T10:00:00Z', '2026-11-20T10:00:00.000+01:00', '2026-11-20T10:00:00.1234Z', '2026-11-20 10:00:00.000Z', '+012026-11-20T10:00:00.000Z']) {
      assert.equal(isUtcMs(time), false, time);
    }
  });
});
