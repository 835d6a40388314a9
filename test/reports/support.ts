import assert from 'node:assert/strict';
import request from 'supertest';
import type { Alert } from '../../src/alerts/model.js';
import { appendHistory, saveAlerts } from '../../src/alerts/state-store.js';
import type { Driver } from '../../src/store/index.js';

export const ADMIN = 'admin-key-0123456789abcdef';
export const INGEST = 'ingest-key-0123456789abcdef';
export const ACME_KEY = 'tenant-acme-key-0123456789';
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

/** The value model the report tests configure: EUR converts, GBP has no rate (reported unconverted). */
export const VALUE_CONFIG = `
value:
  reporting_currency: USD
  rates: { EUR: 1.08 }
  reference_rates: false   # GBP has no rate here: the tests check it is shown unconverted
  hourly_cost: 45
  default_minutes_per_record: 2
  minutes_per_record:
    - { integration: salesforce, record_type: orders, minutes: 4 }
    - { flow: invoices.sync, minutes: 3 }
`;

/** Posts events (as the ingest API takes them) and waits until the store has them. */
export async function postEvents(svc: { server: Parameters<typeof request>[0]; ingest: { batcher: { flush(): Promise<unknown> } } }, events: object[]): Promise<void> {
  for (let i = 0; i < events.length; i += 500) {
    const res = await request(svc.server).post('/v1/events').set('Authorization', `Bearer ${INGEST}`).send(events.slice(i, i + 500));
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.deepEqual(res.body.rejected, []);
  }
  await svc.ingest.batcher.flush();
}

/** One incident as the alert engine records it. */
export interface IncidentSeed {
  tenant: string;
  integration: string;
  flow?: string;
  fingerprint: string;
  firedAt: number;
  resolvedAt: number | null;
  audience?: ('tenant' | 'operator')[];
  category?: Alert['labels']['category'];
  summary?: string;
  records?: { id: string; message: string }[];
  oneShot?: boolean;
}

/**
 * Writes one alert episode through the alert state store's own writers (alert_state and
 * alert_history), as the engine does when an alert fires and resolves.
 */
export async function seedIncident(driver: Driver, s: IncidentSeed): Promise<void> {
  const alert: Alert = {
    fingerprint: s.fingerprint,
    labels: {
      rule: 'data-failures',
      severity: 'warning',
      category: s.category ?? 'data',
      code: 'validation',
      audience: s.audience ?? ['tenant'],
      tenant: s.tenant,
      integration: s.integration,
      flow: s.flow ?? 'orders.export',
    },
    summary: s.summary ?? '12 orders failed validation in the last 15 minutes',
    action: 'Fix these records in your system; they will sync on the next run.',
    records: s.records ?? [{ id: 'ORD-1001', message: 'email is required' }],
    valueAtRisk: null,
    status: 'firing',
    activeSince: s.firedAt - 60_000,
    firedAt: s.firedAt,
    resolvedAt: null,
    clearSince: null,
    lastNotifiedAt: null,
    version: 2,
    ...(s.oneShot ? { oneShot: true } : {}),
  };
  await saveAlerts(driver, [alert], s.firedAt);
  await appendHistory(driver, [{ alert, from: 'pending', to: 'firing', silent: false }], [], s.firedAt);
  if (s.resolvedAt !== null) {
    const resolved: Alert = { ...alert, status: 'resolved', resolvedAt: s.resolvedAt, version: 3 };
    await saveAlerts(driver, [resolved], s.resolvedAt);
    await appendHistory(driver, [{ alert: resolved, from: 'firing', to: 'resolved', silent: false }], [], s.resolvedAt);
  }
}
