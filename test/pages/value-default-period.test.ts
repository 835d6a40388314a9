/**
 * The value page without a period opens on the last full month — unless that month had no
 * activity and this month has: then on this month, rather than an empty report.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import request from 'supertest';
import { describePeriod, lastFullPeriod, nextPeriod } from '../../src/reports/index.js';
import { startTestService, type TestService } from '../support/service.js';
import { ADMIN, INGEST, postEvents } from '../reports/support.js';

let svc: TestService;
const now = Date.now();
const lastMonth = lastFullPeriod('month', now);
const thisMonth = nextPeriod(lastMonth);

before(async () => {
  svc = await startTestService({ SYNCWATCH_ADMIN_KEY: ADMIN, SYNCWATCH_INGEST_KEY: INGEST });
  const at = (ms: number) => new Date(ms).toISOString();
  const synced = (tenant: string, ms: number) => ({ type: 'record.synced', tenant, integration: 'stripe', flow: 'payments.import', run: `run-${tenant}`, time: at(ms), record: { id: 'PAY-1', type: 'payment', value: 10, currency: 'USD' } });
  // "fresh" has activity only this month; "steady" had some last month too.
  await postEvents(svc, [synced('fresh', Math.max(thisMonth.from.getTime(), now - 1000)), synced('steady', lastMonth.from.getTime() + 3_600_000)]);
});
after(async () => svc?.stop());

const heading = async (tenant: string) => {
  const res = await request(svc.server).get(`/reports/${tenant}`).set('Authorization', `Bearer ${ADMIN}`);
  assert.equal(res.status, 200);
  return /<h1>([^<]*)<\/h1>/.exec(res.text)?.[1];
};

test('a tenant active only this month sees this month; one active last month sees last month', async () => {
  assert.equal(await heading('fresh'), `Value report, ${describePeriod(thisMonth)}`);
  assert.equal(await heading('steady'), `Value report, ${describePeriod(lastMonth)}`);
});
