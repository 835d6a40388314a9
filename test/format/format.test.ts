/**
 * One formatting vocabulary: durations read the same on every page, email and webhook
 * (one function, in src/format), and no other module defines its own duration format.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { describeMoney, formatDuration, formatTime } from '../../src/format/index.js';

test('durations: the two largest units, in words', () => {
  const S = 1000;
  const M = 60 * S;
  const H = 60 * M;
  assert.equal(formatDuration(850), 'less than a second');
  assert.equal(formatDuration(1 * S), '1 second');
  assert.equal(formatDuration(42 * S), '42 seconds');
  assert.equal(formatDuration(3 * M + 5 * S), '3 minutes 5 seconds');
  assert.equal(formatDuration(45 * M), '45 minutes');
  assert.equal(formatDuration(H), '1 hour');
  assert.equal(formatDuration(2 * H + 15 * M), '2 hours 15 minutes');
  assert.equal(formatDuration(26 * H), '26 hours');
  assert.equal(formatDuration(76 * H), '3 days 4 hours');
  assert.equal(formatDuration(72 * H), '3 days');
});

test('times in sentences are "YYYY-MM-DD HH:MM UTC", never raw ISO', () => {
  assert.equal(formatTime(Date.UTC(2026, 10, 22, 12, 0, 30)), '2026-11-22 12:00 UTC');
});

test('money: unconverted amounts stand beside the total, never a $0.00 when money moved', () => {
  assert.equal(describeMoney({ total: 0, currency: 'USD', by_currency: { EUR: 5 }, unconverted_currencies: ['EUR'] }), '€5.00');
  assert.equal(describeMoney({ total: 10, currency: 'USD', by_currency: { USD: 10, GBP: 2 }, unconverted_currencies: ['GBP'] }), '$10.00 + £2.00');
  assert.equal(describeMoney({ total: 0, currency: 'USD', by_currency: {}, unconverted_currencies: [] }), '$0.00');
});

test('no module outside src/format defines its own duration format', () => {
  const root = path.resolve(import.meta.dirname, '../../src');
  const offenders: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = path.join(dir, name);
      if (statSync(p).isDirectory()) {
        if (p !== path.join(root, 'format')) walk(p);
      } else if (name.endsWith('.ts') && /function format\w*Duration\b/.test(readFileSync(p, 'utf8'))) offenders.push(path.relative(root, p));
    }
  };
  walk(root);
  assert.deepEqual(offenders, []);
});
