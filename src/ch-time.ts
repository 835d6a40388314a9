/*
 * ClickHouse DateTime64 literals. Kept apart from the store so that code run in worker
 * threads (request decoding) can stamp rows without loading the store, whose embedded
 * engine (a native addon) must stay on the main thread: loaded in a worker, it crashes
 * the process when the worker stops.
 */

/** Formats epoch milliseconds as a ClickHouse DateTime64(3) literal in UTC. */
export function toChTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 23).replace('T', ' ');
}

/** Formats epoch nanoseconds as a ClickHouse DateTime64(9) literal in UTC. */
export function toChTimeNanos(nanos: bigint): string {
  const ms = Number(nanos / 1_000_000n);
  const frac = (nanos % 1_000_000_000n).toString().padStart(9, '0');
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')}.${frac}`;
}
