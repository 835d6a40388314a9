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

/** Parses a ClickHouse DateTime64 string (UTC) back to an ISO-8601 string. */
export function fromChTime(value: string): string {
  return `${value.replace(' ', 'T')}Z`.replace(/(\.\d{3})\d*Z$/, '$1Z');
}
