import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_RETRY_POLICY, parseRetryAfter, retryDelayMs } from '../../src/notify/index.js';

const HOUR = 3_600_000;

describe('retry policy', () => {
  test('exponential from 30 s, capped at 1 h, with full jitter', () => {
    const top = { ...DEFAULT_RETRY_POLICY, random: () => 0.999999 };
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => Math.round(retryDelayMs(n, top) / 1000)),
      [30, 60, 120, 240, 480, 960, 1920, 3600, 3600],
    );
    const half = { ...DEFAULT_RETRY_POLICY, random: () => 0.5 };
    assert.equal(retryDelayMs(3, half), 60_000, 'a random point between 0 and the ceiling');
    const zero = { ...DEFAULT_RETRY_POLICY, random: () => 0 };
    assert.equal(retryDelayMs(1, zero), 1_000, 'never a tight loop');
    const spread = new Set(Array.from({ length: 50 }, () => retryDelayMs(5, DEFAULT_RETRY_POLICY)));
    assert.ok(spread.size > 10, 'real jitter spreads retries');
    for (const d of spread) assert.ok(d >= 1_000 && d <= 480_000, `${d} within [1 s, 480 s]`);
  });

  test("the receiver's Retry-After is a floor, bounded to a day", () => {
    const p = { ...DEFAULT_RETRY_POLICY, random: () => 0.1 };
    assert.equal(retryDelayMs(1, p, 600_000), 600_000);
    assert.equal(retryDelayMs(8, { ...p, random: () => 1 }, 1_000), HOUR, 'a short Retry-After does not shorten the backoff');
    assert.equal(retryDelayMs(1, p, 30 * 24 * HOUR), 24 * HOUR);
  });

  test('Retry-After parses seconds and HTTP dates', () => {
    const now = Date.UTC(2026, 10, 22, 12, 0, 0);
    assert.equal(parseRetryAfter('120', now), 120_000);
    assert.equal(parseRetryAfter(' 0 ', now), 0);
    assert.equal(parseRetryAfter('Sun, 22 Nov 2026 12:05:00 GMT', now), 300_000);
    assert.equal(parseRetryAfter('Sun, 22 Nov 2026 11:00:00 GMT', now), 0, 'a date in the past: now');
    assert.equal(parseRetryAfter('soon', now), undefined);
    assert.equal(parseRetryAfter(undefined, now), undefined);
  });
});
