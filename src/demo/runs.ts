import type { IntegrationEvent } from '../ingest/index.js';
import type { FlowSpec, IntegrationSpec, TenantSpec } from './catalog.js';
import * as fail from './failures.js';
import { createRandom, hashString, type Random } from './random.js';
import { newRecord, type BusinessRecord } from './records.js';
import { isTarget, MINUTE, type Scenarios } from './scenarios.js';

/** One flow of one connection, simulated over [from, until). */
export interface FlowStream {
  seed: string;
  tenant: TenantSpec;
  integration: IntegrationSpec;
  flow: FlowSpec;
  scenarios: Scenarios;
  /** No run is scheduled before this instant. */
  from: number;
  /** No run is scheduled at or after this instant (disabled, uninstalled, stale, or now). */
  until: number;
}

/** A record that failed and that the runner will try again in the next run. */
interface Pending {
  record: BusinessRecord;
  failure: fail.RecordFailure;
  attempts: number;
  /** Runs until the tenant fixes bad data (data failures only). */
  fixedAfter: number;
}

/** Retries per record before the runner gives up (the record stays failed: value at risk). */
const MAX_ATTEMPTS = 6;

/** What is wrong, if anything, while a run executes. */
type Condition = 'ok' | 'auth_expired' | 'outage' | 'out_of_memory' | 'rate_limited';

function compactTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace(/[-:]/g, '');
}

function condition(s: FlowStream, start: number, crashed: boolean): Condition {
  const sc = s.scenarios;
  const tenant = s.tenant.id;
  const integration = s.integration.id;
  if (isTarget(sc.authExpired, tenant, integration) && start >= sc.authExpired.at) return 'auth_expired';
  if (integration === sc.outage.integration && start >= sc.outage.from && start < sc.outage.to) return 'outage';
  if (!crashed && isTarget(sc.outOfMemory, tenant, integration) && s.flow.name === sc.outOfMemory.flow && start >= sc.outOfMemory.at) {
    return 'out_of_memory';
  }
  const d = new Date(start);
  const rl = sc.rateLimit;
  if (integration === rl.integration && rl.hoursUtc.includes(d.getUTCHours()) && d.getUTCMinutes() < rl.minutes) return 'rate_limited';
  return 'ok';
}

/** How one record fares in a healthy or rate-limited run. */
function outcome(s: FlowStream, cond: Condition, item: Pending | BusinessRecord, rnd: Random): fail.RecordFailure | 'skipped' | null {
  const api = s.integration.api;
  if ('failure' in item) {
    // A retry: bad data fails again until the tenant fixes it; transient failures usually pass now.
    if (item.failure.kind === 'data') return item.attempts >= item.fixedAfter ? null : item.failure;
    if (cond === 'rate_limited' && rnd.chance(s.scenarios.rateLimit.failureRate)) return { kind: 'transient', error: fail.rateLimited(api) };
    return null;
  }
  const de = s.scenarios.dataErrors;
  if (isTarget(de, s.tenant.id, s.integration.id) && s.flow.name === de.flow && rnd.chance(de.failureRate)) {
    return { kind: 'data', error: fail.badData(item.id, api, rnd) };
  }
  if (cond === 'rate_limited' && rnd.chance(s.scenarios.rateLimit.failureRate)) return { kind: 'transient', error: fail.rateLimited(api) };
  if (item.type === 'invoice' && rnd.chance(0.01)) return { kind: 'permanent', error: fail.duplicate(item.id, api) };
  if (rnd.chance(0.002)) return { kind: 'transient', error: fail.timedOut(api) };
  if (rnd.chance(0.02)) return 'skipped';
  return null;
}

/** Simulates every scheduled run of a flow: events in time order, ids derived from the run's slot. */
export function simulateFlow(s: FlowStream): IntegrationEvent[] {
  const events: IntegrationEvent[] = [];
  const { tenant, integration, flow } = s;
  const cadence = flow.cadenceMinutes * MINUTE;
  const key = `${tenant.id}/${integration.id}/${flow.name}`;
  // Each flow has its own minute past the cadence, as real schedules are spread out.
  const offset = (hashString(key) % flow.cadenceMinutes) * MINUTE;
  let pending: Pending[] = [];
  let crashed = false;

  for (let slot = Math.ceil((s.from - offset) / cadence) * cadence + offset; slot < s.until; slot += cadence) {
    const run = `run-${tenant.id}-${integration.id}-${flow.name}-${compactTime(slot)}`;
    const rnd = createRandom(`${s.seed}/${run}`);
    const start = slot + rnd.int(2_000, 90_000);
    const cond = condition(s, start, crashed);
    const base = { tenant: tenant.id, integration: integration.id, flow: flow.name, run };
    const out: IntegrationEvent[] = [];
    const emit = (e: Omit<IntegrationEvent, 'tenant' | 'integration' | 'flow' | 'run' | 'id'>) =>
      out.push({ id: `${run}:${out.length}`, ...base, ...e });
    emit({ type: 'run.started', time: new Date(start).toISOString(), attributes: { trigger: 'schedule', runner: `runner-${rnd.int(1, 4)}` } });

    const fresh = Array.from({ length: rnd.int(flow.records[0], flow.records[1]) }, (_, i) => newRecord(tenant, integration.id, flow, slot, i, rnd));
    const work: (Pending | BusinessRecord)[] = [...pending, ...fresh];
    const nextPending: Pending[] = [];
    let t = start + rnd.int(200, 1_500);
    let transientFailures = 0;
    let lastError: fail.EventError | null = null;
    let runError: fail.EventError | null = null;

    if (cond === 'auth_expired') {
      // The token refresh at the start of the run fails: nothing is attempted.
      runError = fail.authExpired(integration.api);
      nextPending.push(...pending);
    } else {
      const abortAfter =
        cond === 'outage' ? rnd.int(1, 3) : cond === 'out_of_memory' ? Math.max(1, Math.floor(work.length * (0.55 + rnd.next() * 0.2))) : Infinity;
      for (const [i, item] of work.entries()) {
        const isRetry = 'failure' in item;
        const record = isRetry ? item.record : item;
        if (i >= abortAfter) {
          // Not attempted: the source still has these, so the next run picks them up.
          nextPending.push(isRetry ? item : { record, failure: { kind: 'transient', error: {} }, attempts: 0, fixedAfter: 0 });
          continue;
        }
        t += rnd.int(flow.msPerRecord[0], flow.msPerRecord[1]);
        const attempts = isRetry ? item.attempts + 1 : 1;
        const attributes = { attempt: String(attempts) };
        const result: fail.RecordFailure | 'skipped' | null =
          cond === 'outage' ? { kind: 'transient', error: fail.unavailable(integration.api, rnd) } : outcome(s, cond, item, rnd);
        if (result === null) {
          emit({ type: 'record.synced', time: new Date(t).toISOString(), record, attributes });
        } else if (result === 'skipped') {
          emit({ type: 'record.skipped', time: new Date(t).toISOString(), record, reason: fail.skipReason(rnd), attributes });
        } else {
          if (result.kind === 'transient') transientFailures++;
          lastError = result.error;
          emit({ type: 'record.failed', time: new Date(t).toISOString(), record, error: result.error, attributes });
          const fixedAfter = isRetry ? item.fixedAfter : rnd.chance(0.15) ? Infinity : rnd.int(1, 4);
          if (result.kind !== 'permanent' && attempts < MAX_ATTEMPTS) nextPending.push({ record, failure: result, attempts, fixedAfter });
        }
      }
      if (cond === 'outage') runError = lastError;
      else if (cond === 'out_of_memory') runError = fail.outOfMemory();
      // A run fails when the partner refused most of it; bad records alone leave it succeeded (partially).
      else if (transientFailures >= 2 && transientFailures * 2 >= work.length) runError = lastError;
    }

    t += rnd.int(100, 800);
    if (t > s.scenarios.now) break; // still running: a later demo run will record it
    const end = { time: new Date(t).toISOString(), records_total: work.length, duration_ms: t - start };
    if (runError) emit({ type: 'run.failed', ...end, error: runError });
    else emit({ type: 'run.succeeded', ...end });
    if (cond === 'out_of_memory') crashed = true;
    pending = nextPending;
    events.push(...out);
  }
  return events;
}
