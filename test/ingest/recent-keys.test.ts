import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createRandom } from '../../src/demo/random.js';
import { RecentKeys } from '../../src/ingest/recent-keys.js';

/** The window as first written: a Set, re-added keys moved to the end, the oldest evicted. */
class SetWindow {
  readonly set = new Set<string>();
  constructor(readonly limit: number) {}
  add(key: string): void {
    this.set.delete(key);
    this.set.add(key);
    if (this.set.size > this.limit) this.set.delete(this.set.values().next().value!);
  }
}

describe('recent keys window', () => {
  test('holds exactly the keys a Set window holds, through re-adds and evictions (generated sequences)', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const rnd = createRandom(seed);
      const limit = rnd.int(1, 300);
      // Few distinct keys (many re-adds) to many (mostly evictions).
      const distinct = rnd.int(1, 2000);
      const window = new RecentKeys(limit);
      const reference = new SetWindow(limit);
      for (let i = 0; i < 5000; i++) {
        const key = `k${rnd.int(1, distinct)}`;
        window.add(key);
        reference.add(key);
        assert.equal(window.size, reference.set.size, `seed ${seed}, step ${i}`);
      }
      for (let k = 1; k <= distinct; k++) assert.equal(window.has(`k${k}`), reference.set.has(`k${k}`), `seed ${seed}, k${k}`);
    }
  });

  test('stays bounded and holds the newest keys across a million adds', () => {
    const window = new RecentKeys(1000);
    for (let i = 0; i < 1_000_000; i++) window.add(`key-${i}`);
    assert.equal(window.size, 1000);
    assert.ok(window.has('key-999999') && window.has('key-999000') && !window.has('key-998999'));
  });

  test('re-adding a few keys forever does not grow the queue without bound', () => {
    const window = new RecentKeys(200_000);
    for (let i = 0; i < 300_000; i++) window.add(`k${i % 10}`);
    assert.equal(window.size, 10);
    assert.ok((window as unknown as { queue: string[] }).queue.length <= 2 * 10 + 1024);
  });
});
