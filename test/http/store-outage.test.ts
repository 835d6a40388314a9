import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { loadConfig } from '../../src/config.js';
import { startService, type Service } from '../../src/main.js';
import { startClickHouseShim, type ClickHouseShim } from '../support/clickhouse-shim.js';

// Issue 9, finding 8: with the store away, every read and page answered a generic 500 and
// logged "unexpected error" 120 times a minute. The remote driver runs against the test
// ClickHouse HTTP endpoint, which is then stopped.
let shim: ClickHouseShim;
let svc: Service;
let dataDir: string;
const lines: { level: number; msg: string }[] = [];

before(async () => {
  shim = await startClickHouseShim();
  dataDir = mkdtempSync(path.join(tmpdir(), 'syncwatch-outage-'));
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', SYNCWATCH_DATA_DIR: dataDir, CLICKHOUSE_URL: shim.url, SYNCWATCH_BATCH_MS: '100' });
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  svc = await startService(config, pino({ level: 'info' }, sink));
});
after(async () => {
  await svc.close().catch(() => {});
  await shim.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

test('during a store outage every read and page answers 503 with Retry-After, and the outage is logged once', async () => {
  assert.equal((await fetch(`${svc.url}/v1/health`)).status, 200, 'reads work while the store is up');
  await shim.stop();

  const paths = [
    '/v1/health',
    '/v1/failures',
    '/v1/runs',
    '/v1/value',
    '/v1/adoption',
    '/v1/records?tenant=acme&record_id=INV-1',
    '/v1/alerts',
    '/v1/silences',
    '/v1/tenants/acme/subscriptions',
    '/v1/reports/value?tenant=acme',
    '/',
    '/adoption',
    '/status/acme',
    '/reports/acme',
  ];
  for (let round = 0; round < 3; round++) {
    for (const p of paths) {
      const res = await fetch(`${svc.url}${p}`);
      assert.equal(res.status, 503, `${p} (round ${round})`);
      assert.equal(res.headers.get('retry-after'), '5', p);
      if (p.startsWith('/v1/')) assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'unavailable', p);
      else assert.match(await res.text(), /Temporarily unavailable/, p);
    }
  }
  const outageLines = lines.filter((l) => l.msg.startsWith('the store is unreachable'));
  assert.equal(outageLines.length, 1, 'one line for the outage, not one per request');
  assert.equal(lines.filter((l) => /unexpected error/.test(l.msg)).length, 0);
  assert.equal((await fetch(`${svc.url}/healthz`)).status, 200, 'liveness does not depend on the store');
});
