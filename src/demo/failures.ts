import type { IntegrationEvent } from '../ingest/index.js';
import { PRODUCT_FAMILIES } from './catalog.js';
import type { Random } from './random.js';

/** The `error` of a failure event, as a runner would report it. */
export type EventError = NonNullable<IntegrationEvent['error']>;

/** Whether a failed record is worth retrying in the next run unchanged (the partner, not the record, was at fault). */
export type FailureKind = 'transient' | 'data' | 'permanent';

/** A record failure and what the runner does about it. */
export interface RecordFailure {
  kind: FailureKind;
  error: EventError;
}

// Most failures carry only what a runner naturally has (HTTP status, message, exit code) so
// that syncwatch's classification rules (docs/architecture.md#failure-categories) do the categorising; the timeout is
// explicit because an event cannot say the call was outbound.

/** HubSpot-style 429 with a Retry-After. */
export const rateLimited = (api: string): EventError => ({
  http_status: 429,
  retry_after: 10,
  message: `${api}: 429 Too Many Requests (secondly rate limit reached)`,
});

/** The partner is down: 5xx or a reset connection. */
export function unavailable(api: string, rnd: Random): EventError {
  return rnd.pick<EventError>([
    { http_status: 503, message: `${api}: 503 Service Unavailable` },
    { http_status: 503, message: `${api}: 503 Service Unavailable` },
    { http_status: 502, message: `${api}: 502 Bad Gateway` },
    { type: 'ECONNRESET', message: `${api}: read ECONNRESET` },
  ]);
}

/** The OAuth refresh token expired: only the tenant can fix it by re-authorising. */
export const authExpired = (api: string): EventError => ({
  http_status: 401,
  type: 'invalid_grant',
  message: `${api}: invalid_grant: refresh token expired; re-authorize the connection`,
});

/** The runner was killed by the kernel for using too much memory. */
export const outOfMemory = (): EventError => ({
  exit_code: 137,
  message: 'FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory',
});

/** A call to the partner that did not answer in time (explicitly an endpoint timeout). */
export const timedOut = (api: string): EventError => ({
  category: 'endpoint',
  code: 'timeout',
  type: 'TimeoutError',
  message: `${api}: request timed out after 30000 ms`,
});

/** The tenant's own data is wrong: missing email or an unmapped product family. */
export function badData(recordId: string, integrationApi: string, rnd: Random): EventError {
  if (rnd.chance(0.6)) return { http_status: 422, message: `Order ${recordId}: customer email is required` };
  return {
    http_status: 400,
    message: `No mapping for product family "${rnd.pick(PRODUCT_FAMILIES)}" in ${integrationApi} price book (order ${recordId})`,
  };
}

/** The partner already has a document with this number. */
export const duplicate = (recordId: string, api: string): EventError => ({
  http_status: 409,
  message: `${api}: Duplicate Document Number Error: ${recordId} already exists`,
});

/** Why a record was skipped rather than moved. */
export function skipReason(rnd: Random): string {
  return rnd.pick(['unchanged since last sync', 'test record (filtered by sync rule)', 'archived in source']);
}
