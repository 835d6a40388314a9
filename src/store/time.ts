// Shared with code that must not load the store (see ../ch-time.ts).
export { toChTime, toChTimeNanos } from '../ch-time.js';

/** Parses a ClickHouse DateTime64 string (UTC) back to an ISO-8601 string. */
export function fromChTime(value: string): string {
  return `${value.replace(' ', 'T')}Z`.replace(/(\.\d{3})\d*Z$/, '$1Z');
}
