import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { JsonLogsSerializer } from '@opentelemetry/otlp-transformer';
import { scenarioLogs } from '../support/otel-scenario.js';
import { startTestService, type TestService } from '../support/service.js';

let svc: TestService;
let receiver: Server;
before(async () => {
  svc = await startTestService({ SYNCWATCH_WEBHOOK_ALLOW: '127.0.0.1' });
  // A webhook receiver that refuses for good (410): its deliveries are dead letters.
  receiver = createServer((_req, res) => res.writeHead(410).end()).listen(0, '127.0.0.1');
  await once(receiver, 'listening');
});
after(async () => {
  receiver.close();
  await svc.stop();
});

/** The value of one sample of the Prometheus text, e.g. sample(text, 'x_total', 'source="logs"'). */
function sample(text: string, name: string, labels?: string): number {
  const line = text.split('\n').find((l) => (labels ? l.startsWith(`${name}{`) && l.includes(labels) : l.startsWith(`${name} `)));
  assert.ok(line, `no sample ${name}{${labels ?? ''}}`);
  return Number(line.slice(line.lastIndexOf(' ') + 1));
}

const scrape = async () => (await fetch(`${svc.url}/metrics`)).text();

describe('GET /metrics', () => {
  test('follows Prometheus naming: one syncwatch_ prefix, counters end in _total, latencies are histograms in seconds', async () => {
    const text = await scrape();
    const types = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map(([, name, type]) => ({ name, type }));
    assert.ok(types.length > 20);
    for (const { name, type } of types) {
      assert.match(name, /^syncwatch_/, name);
      assert.doesNotMatch(name, /syncwatch_.*syncwatch_|process_process/, name);
      if (type === 'counter') assert.match(name, /_total$/, `counter ${name}`);
      if (name.endsWith('_total')) assert.equal(type, 'counter', `${name} is a ${type}`);
    }
    const typeOf = (name: string) => types.find((t) => t.name === name)?.type;
    assert.equal(typeOf('syncwatch_process_cpu_seconds_total'), 'counter');
    assert.equal(typeOf('syncwatch_http_request_duration_seconds'), 'histogram');
    assert.equal(typeOf('syncwatch_store_duration_seconds'), 'histogram');
    for (const gauge of ['syncwatch_spool_bytes', 'syncwatch_spool_oldest_age_seconds', 'syncwatch_spool_backlog_segments', 'syncwatch_notify_outbox_depth', 'syncwatch_notify_dead_letters']) {
      assert.equal(typeOf(gauge), 'gauge', gauge);
    }
  });

  test('counts what happened: requests by route pattern, store calls, accepted and ignored log records, dead letters', async () => {
    const before = await scrape();
    const runsBefore = text0(before, 'syncwatch_http_request_duration_seconds_count', 'route="/v1/runs/:run/report"');
    for (const run of ['a', 'b', 'c']) assert.equal((await fetch(`${svc.url}/v1/runs/${run}/report?tenant=acme`)).status, 404);

    const logs = JsonLogsSerializer.serializeRequest(await scenarioLogs('metrics-co', 'run-m', Date.now() - 60_000))!;
    const res = await fetch(`${svc.url}/v1/logs`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: new Uint8Array(logs) });
    assert.equal(res.status, 200);
    await svc.ingest.batcher.flush();

    const secret = `whsec_${randomBytes(24).toString('base64')}`;
    const test = await fetch(`${svc.url}/v1/notifications/test`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ channel: 'webhook', url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`, secret }) });
    assert.equal(test.status, 200);
    const dead = (await (await fetch(`${svc.url}/v1/notifications?status=dead`)).json()).deliveries.length;
    assert.ok(dead >= 1);

    const after = await scrape();
    assert.equal(text0(after, 'syncwatch_http_request_duration_seconds_count', 'route="/v1/runs/:run/report"') - runsBefore, 3);
    assert.equal(sample(after, 'syncwatch_http_request_duration_seconds_count', 'route="/v1/runs/:run/report",status="404"'), 3);
    assert.equal(sample(after, 'syncwatch_ingest_accepted_total', 'source="logs"'), 5);
    assert.equal(sample(after, 'syncwatch_ingest_log_records_ignored_total'), 1);
    const [{ n }] = await svc.driver.query<{ n: string }>({ name: 't', sql: "SELECT count() AS n FROM events WHERE tenant = 'metrics-co'" });
    assert.equal(Number(n), 5);
    assert.ok(sample(after, 'syncwatch_store_duration_seconds_count', 'kind="insert"') > 0);
    assert.ok(sample(after, 'syncwatch_store_events_written_total') >= 5);
    assert.equal(sample(after, 'syncwatch_notify_dead_letters'), dead);
  });
});

/** Like sample, but 0 when the series does not exist yet. */
function text0(text: string, name: string, labels: string): number {
  return text.split('\n').some((l) => l.startsWith(`${name}{`) && l.includes(labels)) ? sample(text, name, labels) : 0;
}
