import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { migrate, readMigrations, RemoteDriver } from '../../src/store/index.js';
import { startClickHouseShim, type ClickHouseShim } from '../support/clickhouse-shim.js';
import { startTestService } from '../support/service.js';

// The remote driver through the real @clickhouse/client over HTTP. No ClickHouse server
// can be installed here, so the endpoint is test/support's HTTP interface over the
// embedded engine (in its own process); `CLICKHOUSE_URL=… npm test` runs the whole
// suite against a real server instead.
let shim: ClickHouseShim;
before(async () => {
  shim = await startClickHouseShim();
});
after(async () => shim.stop());

describe('remote ClickHouse (CLICKHOUSE_URL)', () => {
  test('migrations apply over HTTP and are recorded once', async () => {
    const driver = new RemoteDriver({ url: shim.url, database: 'default' });
    try {
      assert.equal((await migrate(driver)).length, readMigrations().length);
      assert.deepEqual(await migrate(driver), []);
      assert.equal(await driver.ping(), true);
    } finally {
      await driver.close();
    }
  });

  test('the service ingests events and answers record look-ups through the remote driver', async () => {
    const svc = await startTestService({ CLICKHOUSE_URL: shim.url });
    try {
      assert.equal(svc.driver.kind, 'remote');
      const res = await fetch(`${svc.url}/v1/events`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify([
          { id: 'r-1', type: 'record.failed', time: '2026-11-21T08:00:00Z', tenant: 'acme', integration: 'netsuite', flow: 'invoices.sync', run: 'n-1', record: { id: "INV-'1'", value: 10.25 }, error: { message: 'ECONNRESET', type: 'ECONNRESET' } },
          { id: 'r-2', type: 'record.synced', time: '2026-11-21T09:00:00Z', tenant: 'acme', integration: 'netsuite', flow: 'invoices.sync', run: 'n-2', record: { id: "INV-'1'", value: 10.25 } },
        ]),
      });
      assert.equal(res.status, 202);
      await svc.ingest.batcher.flush();
      const lookup = await fetch(`${svc.url}/v1/records?tenant=acme&record_id=${encodeURIComponent("INV-'1'")}`);
      const body = await lookup.json();
      assert.deepEqual(body.attempts.map((a: { status: string }) => a.status), ['failed', 'synced']);
      assert.deepEqual(body.attempts[0].failure, { category: 'endpoint', code: 'unavailable', message: 'ECONNRESET' });
      assert.equal(body.attempts[1].time, '2026-11-21T09:00:00.000Z');
    } finally {
      await svc.stop();
    }
  });
});
