/** The outbox's retry policy (docs/notify.md#retries). */
export interface RetryPolicy {
  /** Attempts before a delivery is dead-lettered. */
  maxAttempts: number;
  /** The first retry waits up to this long; each further one doubles it. */
  baseDelayMs: number;
  /** No wait is longer than this (unless the receiver's Retry-After asks for longer). */
  maxDelayMs: number;
  /** A receiver's Retry-After is honoured up to this long. */
  maxRetryAfterMs: number;
  /** Source of jitter in [0, 1); injectable so tests are deterministic. */
  random: () => number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 8,
  baseDelayMs: 30_000,
  maxDelayMs: 3_600_000,
  maxRetryAfterMs: 86_400_000,
  random: Math.random,
};

/** The smallest wait: a receiver answering instantly is not hammered in a tight loop. */
const MIN_DELAY_MS = 1_000;

/**
 * How long to wait after failed attempt number `attempt` (1-based): exponential backoff
 * with full jitter — a random wait up to min(cap, base·2^(attempt−1)) — so a receiver
 * coming back is not hit by every queued delivery at once; never sooner than the
 * receiver's Retry-After.
 */
export function retryDelayMs(attempt: number, policy: RetryPolicy, retryAfterMs?: number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  const jittered = Math.max(MIN_DELAY_MS, Math.round(policy.random() * ceiling));
  const asked = retryAfterMs === undefined ? 0 : Math.min(Math.max(0, retryAfterMs), policy.maxRetryAfterMs);
  return Math.max(jittered, asked);
}

/** Parses an HTTP Retry-After value (delay in seconds, or an HTTP date) to milliseconds from `now`. */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
