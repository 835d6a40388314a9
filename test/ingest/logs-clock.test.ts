import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { JsonLogsSerializer } from '@opentelemetry/otlp-transformer';
import { ManualClock } from '../../src/clock.js';
import { TEST_EPOCH } from '../support/clock.js';
import { scenarioLogs } from '../support/otel-scenario.js';
import { startTestService, type TestService } from '../support/service.js';

// OTLP logs are judged by the same clock and time window as events and spans: a log record
// 26 hours ahead of the service's clock (which stands at noon yesterday) is refused like an
// event would be, although by the wall clock it is inside the window.

const clock = new ManualClock(TEST_EPOCH);
let svc: TestService;
before(async () => {
  svc = await startTestService({ SYNCWATCH_INGEST_MAX_FUTURE_HOURS: '24' }, { clock });
});
after(async () => svc.stop());

const post = (body: Uint8Array) => fetch(`${svc.url}/v1/logs`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: new Uint8Array(body) });

test('log records are judged by the service clock and its time window', async () => {
  const ahead = JsonLogsSerializer.serializeRequest(await scenarioLogs('ahead-co', 'run-a', clock.now() + 26 * 3_600_000))!;
  const refused = await (await post(ahead)).json();
  // The scenario's five event records are refused for their time (its sixth record is not an event: ignored).
  assert.equal(refused.partialSuccess.errorMessage.match(/time: is more than 24 hours in the future/g)?.length, 5, JSON.stringify(refused));

  const now = JsonLogsSerializer.serializeRequest(await scenarioLogs('now-co', 'run-n', clock.now() - 60_000))!;
  assert.equal((await post(now)).status, 200);
  await svc.ingest.batcher.flush();
  const rows = await svc.driver.query<{ tenant: string; n: string }>({ name: 't', sql: "SELECT tenant, count() AS n FROM events WHERE tenant IN ('ahead-co', 'now-co') GROUP BY tenant" });
  assert.deepEqual(rows.map((r) => [r.tenant, Number(r.n)]), [['now-co', 5]]);
});
