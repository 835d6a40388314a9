import { badRequest } from '../errors.js';

/** A half-open time range [from, to). */
export interface TimeRange {
  from: Date;
  to: Date;
}

/**
 * The dates the API answers for. ClickHouse's DateTime64 holds 1900 to 2299 and its
 * partitions are monthly, so a year like 0000 or 9999 is either refused by the engine (a
 * 5xx) or a scan of nothing; ingest accepts nothing before 2000 either.
 */
export const DATE_WINDOW = { from: Date.UTC(2000, 0, 1), to: Date.UTC(2100, 0, 1) } as const;

/** A 400 naming `name` unless `ms` lies within DATE_WINDOW. */
export function checkDate(name: string, ms: number): void {
  if (!(ms >= DATE_WINDOW.from && ms <= DATE_WINDOW.to)) {
    throw badRequest('invalid_parameter', `${name}: must be between 2000-01-01 and 2100-01-01`);
  }
}

/** The period of equal length just before a range (for "vs previous period"). */
export function previousRange(r: TimeRange): TimeRange {
  const len = r.to.getTime() - r.from.getTime();
  return { from: new Date(r.from.getTime() - len), to: new Date(r.from) };
}
