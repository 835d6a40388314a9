/**
 * The most recently added keys, at most `limit`, oldest evicted first; adding a key again
 * makes it the newest. What a Set with `delete(key); add(key)` and eviction through
 * `values().next()` does, at O(1) a key: on V8 that eviction scans past every deleted
 * entry still at the front of the Set's table, which cost 20-200 µs a key once 200 000
 * keys were held (the de-duplication window is full after that many events).
 *
 * Keys wait in a queue, oldest first. A key added again is queued again and its earlier
 * entry counted in `superseded`: eviction skips such entries instead of deleting the key.
 */
export class RecentKeys {
  private readonly held = new Set<string>();
  /** Queue entries of a key that a later add made stale, by key (rare: re-adds only). */
  private readonly superseded = new Map<string, number>();
  private queue: string[] = [];
  private head = 0;

  constructor(readonly limit: number) {}

  get size(): number {
    return this.held.size;
  }

  has(key: string): boolean {
    return this.held.has(key);
  }

  add(key: string): void {
    if (this.held.has(key)) this.superseded.set(key, (this.superseded.get(key) ?? 0) + 1);
    else this.held.add(key);
    this.queue.push(key);
    while (this.held.size > this.limit) {
      const oldest = this.queue[this.head++];
      const stale = this.superseded.get(oldest);
      if (stale === undefined) this.held.delete(oldest);
      else if (stale === 1) this.superseded.delete(oldest);
      else this.superseded.set(oldest, stale - 1);
    }
    // Drop evicted and stale entries once they are most of the queue (amortised O(1)).
    if (this.queue.length > 2 * this.held.size + 1024) this.compact();
  }

  /** Keeps each held key's last entry only, in order. */
  private compact(): void {
    const live = this.queue.slice(this.head);
    if (this.superseded.size === 0) {
      this.queue = live;
    } else {
      const seen = new Set<string>();
      const last: string[] = [];
      for (let i = live.length - 1; i >= 0; i--) {
        if (!seen.has(live[i])) {
          seen.add(live[i]);
          last.push(live[i]);
        }
      }
      this.queue = last.reverse();
      this.superseded.clear();
    }
    this.head = 0;
  }
}
