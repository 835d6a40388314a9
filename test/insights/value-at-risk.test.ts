/**
 * Value at risk as of several cut-offs at once (value-at-risk.ts: record_failures joined
 * with the syncs of record_events on record_key, migrations 020–021) equals a direct
 * recomputation from raw `events FINAL` rows, cut-off by cut-off, including the cases the
 * join has to get exactly right: failures and syncs in the same millisecond, two failures
 * in the same millisecond, out-of-order arrival, skips, never-synced records, and the same
 * record id in another integration or tenant.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { queryAtRisk } from '../../src/insights/value-sql.js';
import { queryAtRiskAsOf } from '../../src/insights/value-at-risk.js';
import { EmbeddedDriver, migrate, toChTime, type Driver } from '../../src/store/index.js';
import { rawAtRisk } from '../support/raw-at-risk.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 0, 5);
const at = (h: number) => T0 + h * HOUR;

type Attempt = {
  id: string;
  status: 'synced' | 'failed' | 'skipped';
  h: number;
  record: string;
  tenant?: string;
  integration?: string;
  flow?: string;
  value?: number;
  currency?: string;
};

// Each line is one attempt; `batch` below decides the order they are inserted in.
const ATTEMPTS: Attempt[] = [
  // R1: at risk, cleared by a sync, at risk again with another flow and value.
  { id: 'r1-a', status: 'failed', h: 1, record: 'R1', value: 10, currency: 'USD', flow: 'orders.export' },
  { id: 'r1-b', status: 'synced', h: 3, record: 'R1', value: 10, currency: 'USD' },
  { id: 'r1-c', status: 'failed', h: 5, record: 'R1', value: 11, currency: 'EUR', flow: 'orders.import' },
  // R2: two failures in the same millisecond: the greater event id is the latest.
  { id: 'r2-b', status: 'failed', h: 2, record: 'R2', value: 20, currency: 'USD', flow: 'orders.export' },
  { id: 'r2-a', status: 'failed', h: 2, record: 'R2', value: 30, currency: 'GBP', flow: 'orders.import' },
  // R3 / R4: a failure and a sync in the same millisecond, settled by event id both ways.
  { id: 'r3-2', status: 'failed', h: 2, record: 'R3', value: 40, currency: 'USD' },
  { id: 'r3-1', status: 'synced', h: 2, record: 'R3', value: 40, currency: 'USD' },
  { id: 'r4-1', status: 'failed', h: 2, record: 'R4', value: 50, currency: 'USD' },
  { id: 'r4-2', status: 'synced', h: 2, record: 'R4', value: 50, currency: 'USD' },
  // R5: never synced, no value: counted as a record, no money.
  { id: 'r5-a', status: 'failed', h: 1, record: 'R5' },
  // R6: a sync stored before the earlier failure it clears arrives (batch 2).
  { id: 'r6-b', status: 'synced', h: 4, record: 'R6', value: 60, currency: 'USD' },
  { id: 'r6-a', status: 'failed', h: 2, record: 'R6', value: 60, currency: 'USD' },
  // R7: a skip neither puts a record at risk nor clears it.
  { id: 'r7-a', status: 'failed', h: 1, record: 'R7', value: 70, currency: 'USD' },
  { id: 'r7-b', status: 'skipped', h: 3, record: 'R7', value: 70, currency: 'USD' },
  { id: 'r7-c', status: 'skipped', h: 2, record: 'R8', value: 80, currency: 'USD' },
  // The same record id in another integration and at another tenant is another record.
  { id: 'o-1', status: 'failed', h: 1, record: 'R1', integration: 'hubspot', value: 5, currency: 'USD' },
  { id: 'o-2', status: 'synced', h: 6, record: 'R1', integration: 'hubspot', value: 5, currency: 'USD' },
  { id: 'o-3', status: 'failed', h: 4, record: 'R1', tenant: 'globex', value: 7, currency: 'USD' },
];
const LATE = new Set(['r6-a', 'r1-a', 'r2-a']);
const CUTS = [0.5, 1, 1.5, 2, 2.5, 3, 4.5, 5, 5.5, 6.5].map((h) => new Date(at(h)));

let dir: string;
let driver: Driver;

function row(a: Attempt) {
  const ts = toChTime(at(a.h));
  return {
    event_id: a.id,
    type: `record.${a.status}`,
    ts,
    received_at: ts,
    tenant: a.tenant ?? 'acme',
    integration: a.integration ?? 'salesforce',
    connection: `${a.tenant ?? 'acme'}-${a.integration ?? 'salesforce'}`,
    flow: a.flow ?? 'orders.export',
    run: `run-${a.h}`,
    record_id: a.record,
    record_type: 'order',
    record_value: a.value ?? 0,
    has_value: a.value === undefined ? 0 : 1,
    currency: a.currency ?? '',
    failure_category: a.status === 'failed' ? 'data' : '',
    failure_code: a.status === 'failed' ? 'validation' : '',
    source: 'event',
  };
}

/** Records whose latest synced-or-failed attempt before `asOf` failed, straight from events. */
const raw = (asOf: Date, f: { tenant?: string; integration?: string; flow?: string }) => rawAtRisk(driver, asOf, f);

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'syncwatch-at-risk-'));
  driver = new EmbeddedDriver(dir);
  await migrate(driver);
  await driver.insert('events', ATTEMPTS.filter((a) => !LATE.has(a.id)).map(row));
  await driver.insert('events', ATTEMPTS.filter((a) => LATE.has(a.id)).map(row));
});
after(async () => {
  await driver.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('value at risk as of several cut-offs', () => {
  const scopes = [{}, { tenant: 'acme' }, { tenant: 'acme', integration: 'salesforce' }, { tenant: 'acme', flow: 'orders.import' }, { tenant: 'globex' }];
  for (const scope of scopes) {
    test(`equals a recomputation from raw events at every cut-off (${JSON.stringify(scope)})`, async () => {
      const together = await queryAtRiskAsOf(driver, scope, CUTS);
      for (const [i, cut] of CUTS.entries()) {
        const expected = await raw(cut, scope);
        assert.deepEqual(together[i], expected, `as of ${cut.toISOString()}, asked together`);
        assert.deepEqual(await queryAtRisk(driver, scope, cut), expected, `as of ${cut.toISOString()}, asked alone`);
      }
    });
  }

  test('ties and same-millisecond failures resolve by event id', async () => {
    const [rows] = await queryAtRiskAsOf(driver, { tenant: 'acme', integration: 'salesforce' }, [new Date(at(2.5))]);
    const money = Object.fromEntries(rows.map((r) => [`${r.flow}/${r.currency}`, [r.records, r.value]]));
    // R1 (10 USD, failed at 1h), R2 (20 USD: r2-b sorts after r2-a), R3 (40 USD: the failure's id
    // sorts last), R6 (60 USD, its sync comes later), R7 (70 USD); R4's sync wins; R5 has no value.
    assert.deepEqual(money, { 'orders.export/': [1, '0'], 'orders.export/USD': [5, '200'] });
  });
});
