/**
 * What the store can hold, checked at the door. One place for every bound that events
 * and spans share: a value past one of these is refused with a 4xx naming it, rather
 * than accepted and then refused by ClickHouse at flush (where it used to block the
 * spool for everyone).
 */
export const LIMITS = {
  maxAttributes: 64,
  attributeKeyLength: 128,
  attributeValueLength: 4096,
  messageLength: 4000,
  /** Identifiers (tenant, integration, flow, run, code). */
  identLength: 128,
  recordIdLength: 256,
  /**
   * Largest money value of one record, in either sign. Rollups keep money as Decimal128(6)
   * and as Int64 micro-units (adoption); 10^12 leaves headroom for sums of many records
   * under both, and is far above any single business record.
   */
  maxMoney: 1e12,
  /** `records_total` is a UInt32 column. */
  maxRecordsTotal: 4_294_967_295,
  /** A run or record longer than a year is a clock bug, not a duration. */
  maxDurationMs: 366 * 24 * 3600 * 1000,
  /** Default of how far back an event or span may be dated: the raw tables' retention (TTL). */
  maxAgeMs: 400 * 24 * 3600 * 1000,
  /** Default of how far ahead of our clock an event may claim to be. */
  maxFutureMs: 24 * 3600 * 1000,
};

/** The accepted time window (config.ingest): how far back and ahead of now a timestamp may be. */
export interface TimeWindow {
  maxAgeMs: number;
  maxFutureMs: number;
}

export const DEFAULT_WINDOW: TimeWindow = { maxAgeMs: LIMITS.maxAgeMs, maxFutureMs: LIMITS.maxFutureMs };

const DAY_MS = 24 * 3600 * 1000;

function describeSpan(ms: number): string {
  // Days when whole and more than one ("400 days"), else hours ("24 hours", "1 hour").
  if (ms % DAY_MS === 0 && ms > DAY_MS) return `${ms / DAY_MS} days`;
  const hours = Math.round(ms / 3_600_000);
  return `${hours} ${hours === 1 ? 'hour' : 'hours'}`;
}

/** Why a timestamp (ms since epoch) is outside the window, or null when it is inside. */
export function checkTime(field: string, ms: number, now: number, window: TimeWindow): string | null {
  if (!Number.isFinite(ms)) return `${field}: is not a valid time`;
  if (ms < now - window.maxAgeMs) return `${field}: is more than ${describeSpan(window.maxAgeMs)} in the past (the accepted window; see docs/ingest.md)`;
  if (ms > now + window.maxFutureMs) return `${field}: is more than ${describeSpan(window.maxFutureMs)} in the future`;
  return null;
}

/** Why a money value cannot be stored, or null. */
export function checkMoney(field: string, value: number): string | null {
  if (!Number.isFinite(value)) return `${field}: must be a finite number`;
  if (Math.abs(value) > LIMITS.maxMoney) return `${field}: must be between -${LIMITS.maxMoney} and ${LIMITS.maxMoney}`;
  return null;
}

/** Why a count or duration cannot be stored in its unsigned column, or null. */
export function checkUnsigned(field: string, value: number, max: number): string | null {
  if (!Number.isSafeInteger(value) || value < 0 || value > max) return `${field}: must be a whole number from 0 to ${max}`;
  return null;
}

/**
 * Parses a numeric span attribute (OTLP carries them as strings here): undefined when
 * absent, else the number or why it cannot be one.
 */
export function numericAttribute(field: string, text: string | undefined): number | { error: string } | undefined {
  if (text === undefined) return undefined;
  const value = text.trim() === '' ? NaN : Number(text);
  if (Number.isNaN(value)) return { error: `${field}: must be a number, got "${text.slice(0, 40)}"` };
  return value;
}
