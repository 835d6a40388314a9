import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { systemClock, type Clock } from '../../src/clock.js';
import { AccessSigner, Links } from '../../src/links.js';
import { startTestService, type TestService } from '../support/service.js';

// A seeded service for the status and run report page tests: two tenants with tenant keys
// in a YAML config, a configured hourly cadence (so "stale" is deterministic) and a known
// link secret (so tests can sign links the service accepts).

export const ADMIN = 'admin-key-0123456789abcdef';
export const INGEST = 'ingest-key-0123456789abcdef';
export const ACME_KEY = 'tenant-acme-key-0123456789';
export const GLOBEX_KEY = 'tenant-globex-key-0123456789';
export const LINK_SECRET = 'status-page-link-secret-0123456789';
const MIN = 60_000;

/** A running service plus what tests need to sign links and clean up. */
export interface PageService {
  svc: TestService;
  links: Links;
  signer: AccessSigner;
  stop(): Promise<void>;
}

/** Starts syncwatch with the page tests' keys, cadence and link secret. */
export async function startPageService(clock: Clock = systemClock): Promise<PageService> {
  const dir = mkdtempSync(path.join(tmpdir(), 'syncwatch-pages-'));
  const config = path.join(dir, 'syncwatch.yaml');
  writeFileSync(
    config,
    [
      'health:',
      '  cadences:',
      '    - seconds: 3600',
      'keys:',
      `  - { key: ${ACME_KEY}, role: tenant, tenants: [acme] }`,
      `  - { key: ${GLOBEX_KEY}, role: tenant, tenants: [globex] }`,
      '',
    ].join('\n'),
  );
  const svc = await startTestService({ SYNCWATCH_ADMIN_KEY: ADMIN, SYNCWATCH_INGEST_KEY: INGEST, SYNCWATCH_CONFIG: config, SYNCWATCH_LINK_SECRET: LINK_SECRET }, { clock });
  const signer = new AccessSigner(Buffer.from(LINK_SECRET, 'utf8'));
  return {
    svc,
    signer,
    links: new Links(svc.url, signer, clock),
    async stop() {
      await svc.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type Ev = Record<string, unknown>;
/** One record attempt of a run. */
export interface Rec {
  id: string;
  status: 'synced' | 'failed' | 'skipped';
  error?: Ev;
  reason?: string;
  value?: number;
}

const DATA_ERROR = { category: 'data', code: 'validation', message: 'customer email is required' };

/** One run ending `endMinutesAgo` (relative to `now`): run.started, its records, the outcome. */
export function run(
  now: number,
  where: { tenant: string; integration: string; connection: string; flow: string },
  id: string,
  endMinutesAgo: number,
  outcome: 'succeeded' | 'failed',
  records: Rec[],
  error?: Ev,
): Ev[] {
  const end = now - endMinutesAgo * MIN;
  const events: Ev[] = [{ ...where, type: 'run.started', run: id, time: new Date(end - MIN).toISOString() }];
  records.forEach((r, i) => {
    events.push({
      ...where,
      type: `record.${r.status}`,
      run: id,
      time: new Date(end - MIN + (i + 1) * 100).toISOString(),
      record: { id: r.id, type: 'order', value: r.value ?? 100, currency: 'USD' },
      ...(r.status === 'failed' ? { error: r.error ?? DATA_ERROR } : {}),
      ...(r.status === 'skipped' ? { reason: r.reason ?? 'unchanged since the last sync' } : {}),
    });
  });
  events.push({ ...where, type: `run.${outcome}`, run: id, time: new Date(end).toISOString(), records_total: records.length, ...(outcome === 'failed' ? { error: error ?? DATA_ERROR } : {}) });
  return events;
}

/** Posts events with the ingest key and waits until they are queryable. */
export async function post(svc: TestService, events: Ev[]): Promise<void> {
  const res = await request(svc.server).post('/v1/events').set('Authorization', `Bearer ${INGEST}`).send(events);
  assert.equal(res.status, 202, JSON.stringify(res.body));
  assert.deepEqual(res.body.rejected, []);
  await svc.ingest.batcher.flush();
}

/** What the status page scenario seeded: ids the tests look for. */
export const SCENARIO = {
  failingRecords: ['INV-1001', 'INV-1002'],
  /** Failed 30 hours ago, synced since: in the record search, not in the still-failing list. */
  retriedRecord: 'ORD-0999',
  globexRecord: 'GLOBEX-SECRET-7',
  globexRun: 'run-globex-1',
  failingRun: 'run-qb-1',
} as const;

/**
 * Tenant acme with four connections — healthy (hourly successes), failing (its last four
 * runs failed with data errors), stale (no run for 6 hours against an hourly cadence),
 * disabled (integration.disabled after good runs) — and tenant globex with its own.
 */
export function statusScenario(now: number): Ev[] {
  const sf = { tenant: 'acme', integration: 'salesforce', connection: 'sf-main', flow: 'orders.export' };
  const qb = { tenant: 'acme', integration: 'quickbooks', connection: 'qb-main', flow: 'invoices.sync' };
  const hs = { tenant: 'acme', integration: 'hubspot', connection: 'hs-main', flow: 'contacts.sync' };
  const ns = { tenant: 'acme', integration: 'netsuite', connection: 'ns-main', flow: 'orders.import' };
  const gx = { tenant: 'globex', integration: 'salesforce', connection: 'gx-sf', flow: 'orders.export' };
  const events: Ev[] = [];
  // healthy; an older run (outside the 24 h window) failed a record that a later run synced
  events.push(...run(now, sf, 'run-sf-old', 30 * 60, 'succeeded', [{ id: SCENARIO.retriedRecord, status: 'failed' }]));
  for (let k = 0; k < 6; k++) {
    const records: Rec[] = [{ id: `ORD-${2000 + k}`, status: 'synced' }];
    if (k === 0) records.push({ id: SCENARIO.retriedRecord, status: 'synced' });
    events.push(...run(now, sf, `run-sf-${k}`, 10 + k * 60, 'succeeded', records));
  }
  // failing: the last four runs failed, the newest with two invoices rejected for their data
  for (let k = 0; k < 4; k++) {
    const records: Rec[] = k === 0 ? SCENARIO.failingRecords.map((id) => ({ id, status: 'failed' as const })) : [{ id: `INV-${900 + k}`, status: 'failed' }];
    events.push(...run(now, qb, `run-qb-${k + 1}`, 5 + k * 60, 'failed', records, { category: 'data', code: 'validation', message: 'invoices were rejected' }));
  }
  // stale: hourly successes until 6 hours ago
  for (let k = 0; k < 5; k++) events.push(...run(now, hs, `run-hs-${k}`, 6 * 60 + k * 60, 'succeeded', [{ id: `C-${k}`, status: 'synced' }]));
  // disabled: good runs, then the tenant turned the connection off
  for (let k = 0; k < 3; k++) events.push(...run(now, ns, `run-ns-${k}`, 120 + k * 60, 'succeeded', [{ id: `NS-${k}`, status: 'synced' }]));
  events.push({ tenant: 'acme', integration: 'netsuite', connection: 'ns-main', type: 'integration.disabled', time: new Date(now - 90 * MIN).toISOString() });
  // another tenant, with a failed record of its own
  events.push(...run(now, gx, SCENARIO.globexRun, 15, 'failed', [{ id: SCENARIO.globexRecord, status: 'failed' }], { category: 'data', code: 'validation', message: 'globex-only failure' }));
  return events;
}
