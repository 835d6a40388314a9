import type { Logger } from 'pino';
import { unavailable, type AppError } from '../errors.js';
import { StoreError, type Driver } from '../store/index.js';

/** Seconds a client is asked to wait (Retry-After) while the store is unreachable. */
const RETRY_AFTER_S = 5;
/** How often an outage is re-probed, and how long one probe may take. */
const PROBE_EVERY_MS = 5_000;
const PROBE_TIMEOUT_MS = 3_000;

/**
 * Tells a store outage from a failing query. A read that fails while the store does not
 * answer a ping is a 503 with Retry-After, not a 500: the request was fine, the store was
 * away. The outage is logged once when it begins and once when a probe finds the store
 * back — not once per request (a page polled by a few browsers made 120 lines a minute).
 */
export class StoreOutage {
  private since: number | null = null;
  private probe: NodeJS.Timeout | null = null;

  constructor(
    private readonly driver: Driver,
    private readonly log: Logger,
  ) {}

  /** Whether an outage is in progress. */
  get active(): boolean {
    return this.since !== null;
  }

  /** The 503 a StoreError stands for when the store is unreachable; null when it is not (then it is a 500). */
  async classify(err: unknown): Promise<AppError | null> {
    if (!(err instanceof StoreError)) return null;
    if (this.since === null) {
      if (await this.reachable()) return null;
      this.since = Date.now();
      this.log.warn({ err: err.message }, 'the store is unreachable: reads answer 503 until it is back');
      this.scheduleProbe();
    }
    return unavailable('the store is unreachable; try again shortly', RETRY_AFTER_S);
  }

  /** Stops probing (the process is closing). */
  close(): void {
    if (this.probe) clearTimeout(this.probe);
    this.probe = null;
  }

  private scheduleProbe(): void {
    this.probe = setTimeout(async () => {
      if (await this.reachable()) {
        this.log.info({ downForMs: Date.now() - (this.since ?? Date.now()) }, 'the store is reachable again');
        this.since = null;
        this.probe = null;
      } else this.scheduleProbe();
    }, PROBE_EVERY_MS);
    this.probe.unref();
  }

  private async reachable(): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), PROBE_TIMEOUT_MS)));
    try {
      return await Promise.race([this.driver.ping().catch(() => false), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
