// When each story of the demo happens. Times hang off the start of the current UTC day
// (not off `now`), so re-running the demo on the same day regenerates the same runs with
// the same ids and nothing is counted twice. Short windows (`--days 1`) pull each story
// inside the window so every scenario is still present.

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** A (tenant, integration) pair a scenario is about. */
export interface Target {
  tenant: string;
  integration: string;
}

/** The scenario timeline of one generated workload. */
export interface Scenarios {
  now: number;
  /** First instant of the simulated window (now − days). */
  windowStart: number;
  /** A partner outage: every tenant's netsuite calls answer 5xx. */
  outage: { integration: string; from: number; to: number };
  /** Rate-limit bursts: during these UTC hours (first `minutes` of each) hubspot answers 429 often. */
  rateLimit: { integration: string; hoursUtc: number[]; minutes: number; failureRate: number };
  /** One tenant's records fail validation or mapping (the tenant must fix them). */
  dataErrors: Target & { flow: string; failureRate: number };
  /** One run of one flow is killed for running out of memory. */
  outOfMemory: Target & { flow: string; at: number };
  /** A token about to expire: auth.expiring with attributes.expires_at. */
  authExpiring: Target & { at: number; expiresAt: number };
  /** A token that expired: every run after it fails with 401. */
  authExpired: Target & { at: number };
  /** A routine token refresh. */
  authRefreshed: Target & { at: number };
  /** A connection whose runner silently stopped: no runs since `stoppedAt`. */
  stale: Target & { stoppedAt: number; firstRun: number };
  /** A connection the tenant disabled. */
  disabled: Target & { at: number };
  /** A connection the tenant disabled then uninstalled. */
  uninstalled: Target & { at: number };
  /** A connection installed during the window (the funnel completes; runs start after). */
  installed: Target & { at: number };
}

/** `t`, moved inside [windowStart + lead, now − tail] when a short window would miss it. */
function inside(t: number, windowStart: number, now: number, lead: number, tail = HOUR): number {
  return Math.min(Math.max(t, windowStart + lead), now - tail);
}

/** The scenario timeline for a window of `days` days ending at `now`. */
export function planScenarios(now: number, days: number): Scenarios {
  const windowStart = now - days * DAY;
  const today = Math.floor(now / DAY) * DAY;
  const place = (t: number, lead: number, tail?: number) => inside(t, windowStart, now, lead, tail);

  const outageFrom = place(today - 2 * DAY + 14 * HOUR, 2 * HOUR, 4 * HOUR);
  const expiringAt = place(today - 3 * HOUR, 6 * HOUR, 30 * MINUTE);
  const expiredAt = place(today - 8 * HOUR, 6 * HOUR, 5 * HOUR);
  const stoppedAt = today - DAY - 12 * HOUR;
  return {
    now,
    windowStart,
    outage: { integration: 'netsuite', from: outageFrom, to: outageFrom + 2 * HOUR },
    rateLimit: { integration: 'hubspot', hoursUtc: [9, 17], minutes: 40, failureRate: 0.35 },
    dataErrors: { tenant: 'globex', integration: 'salesforce', flow: 'orders.export', failureRate: 0.06 },
    outOfMemory: { tenant: 'hooli', integration: 'netsuite', flow: 'inventory.import', at: place(today - DAY + 5 * HOUR, 3 * HOUR, 8 * HOUR) },
    authExpiring: { tenant: 'acme', integration: 'hubspot', at: expiringAt, expiresAt: expiringAt + 3 * DAY },
    authExpired: { tenant: 'umbrella', integration: 'quickbooks', at: expiredAt },
    authRefreshed: { tenant: 'acme', integration: 'salesforce', at: place(today - DAY + 3 * HOUR, 4 * HOUR) },
    // Starts at least half a day before it stops, even when the window is shorter.
    stale: { tenant: 'initech', integration: 'salesforce', stoppedAt, firstRun: Math.min(windowStart, stoppedAt - 12 * HOUR) },
    disabled: { tenant: 'globex', integration: 'hubspot', at: place(today - 3 * DAY + 11 * HOUR, 5 * HOUR) },
    uninstalled: { tenant: 'hooli', integration: 'quickbooks', at: place(today - DAY + 15 * HOUR, 7 * HOUR, 3 * HOUR) },
    installed: { tenant: 'initech', integration: 'hubspot', at: place(today - 4 * DAY + 10 * HOUR, 30 * MINUTE, 6 * HOUR) },
  };
}

/** Whether a (tenant, integration) is the target of a scenario. */
export const isTarget = (t: Target, tenant: string, integration: string) => t.tenant === tenant && t.integration === integration;
