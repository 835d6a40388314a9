import { createHash } from 'node:crypto';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { ManualClock } from '../../src/clock.js';
import { formatTime } from '../../src/format/index.js';
import { createMessage, DATADOG_METRIC_NAMES, DATADOG_METRICS } from '../../src/notify/index.js';
import { INGEST, makeAlert, startNotifyService, startReceiver, type NotifyService, type Received } from './support.js';

const DD_KEY = 'dd-api-key-for-tests-0123456789';
const PUBLIC = 'https://watch.example.com';
const clock = new ManualClock();
let svc: NotifyService;
let dd: Awaited<ReturnType<typeof startReceiver>>;

const accept = (req: Received) =>
  req.path.startsWith('/api/v1/events') ? { status: 202, body: '{"status":"ok","event":{"id":1}}' } : { status: 202, body: '{"errors":[]}' };

before(async () => {
  dd = await startReceiver(accept);
  svc = await startNotifyService(
    { DD_API_KEY: DD_KEY, SYNCWATCH_DATADOG_URL: dd.url, SYNCWATCH_PUBLIC_URL: PUBLIC },
    { clock, notify: { dispatchEveryMs: 0, reportMetrics: false } },
  );
});
after(async () => {
  await svc?.stop();
  await dd?.close();
});

/** The aggregation key Datadog events of one routing group share, recomputed here: a digest of the group key. */
const groupAggregationKey = (groupKey: string) => `syncwatch-${createHash('sha256').update(groupKey).digest('hex').slice(0, 32)}`;

const tagMap = (tags: string[]) => Object.fromEntries(tags.map((t) => [t.slice(0, t.indexOf(':')), t.slice(t.indexOf(':') + 1)]));

describe('Datadog events (official client, loopback API)', () => {
  test('each alert of a firing message is one event: aggregation key per routing group, alert type by severity, label tags', async () => {
    const alerts = [
      makeAlert({ fingerprint: 'fp-critical' }, { severity: 'critical', category: 'endpoint', code: 'unavailable', rule: 'endpoint-outage' }),
      makeAlert({ fingerprint: 'fp-warning' }, { tenant: 'globex' }),
      makeAlert({ fingerprint: 'fp-info' }, { severity: 'info', tenant: 'initech' }),
    ];
    const message = createMessage({ type: 'alert.firing', alerts, audience: 'operator', tenant: null, groupKey: 'g', createdAt: clock.now() });
    await svc.notifier.outbox.enqueue(message, [{ channel: 'datadog' }]);
    const summary = await svc.notifier.outbox.dispatchDue(clock.now());
    assert.equal(summary.delivered, 1);

    const events = dd.requests.filter((r) => r.path === '/api/v1/events');
    assert.equal(events.length, 3);
    for (const e of events) {
      assert.equal(e.method, 'POST');
      assert.equal(e.headers['dd-api-key'], DD_KEY);
    }
    assert.deepEqual(events.map((e) => [e.json.aggregation_key, e.json.alert_type]), [
      [groupAggregationKey('g'), 'error'],
      [groupAggregationKey('g'), 'warning'],
      [groupAggregationKey('g'), 'info'],
    ]);
    const first = events[0].json;
    assert.equal(first.title, 'acme · salesforce: 12 orders failed validation in the last 15 minutes');
    assert.match(first.text, /ORD-1001: email is required/);
    assert.match(first.text, new RegExp(`${PUBLIC}/status/acme`));
    assert.doesNotMatch(first.text, /access=/, 'no tenant access token goes to Datadog');
    assert.equal(first.source_type_name, 'syncwatch', 'the dashboards find events by source:syncwatch');
    assert.deepEqual(tagMap(first.tags), {
      tenant: 'acme',
      integration: 'salesforce',
      flow: 'orders.export',
      category: 'endpoint',
      code: 'unavailable',
      rule: 'endpoint-outage',
      severity: 'critical',
      source: 'syncwatch',
    });
  });

  test('a resolved alert is a success event with the same aggregation key', async () => {
    const message = createMessage({ type: 'alert.resolved', alerts: [makeAlert({ fingerprint: 'fp-critical', status: 'resolved', resolvedAt: clock.now() }, { severity: 'critical' })], audience: 'operator', tenant: null, groupKey: 'g', createdAt: clock.now() });
    const result = await svc.notifier.channels.datadog({ channel: 'datadog' }, message, { attempt: 1, timeoutMs: 2000, now: clock.now() });
    assert.equal(result.ok, true);
    assert.equal(result.status, 202);
    const e = dd.requests.at(-1)!.json;
    assert.equal(e.aggregation_key, groupAggregationKey('g'), 'firing and resolved of one group roll up in Datadog');
    assert.equal(e.alert_type, 'success');
    assert.match(e.title, /^Resolved: /);
    // A person reads this text: the time as pages and emails show it, never a raw ISO timestamp.
    assert.match(e.text, new RegExp(`Resolved at ${formatTime(clock.now())}\\.`));
    assert.doesNotMatch(e.text, /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/);
  });

  test('an update of a group is an event under the same aggregation key, still an error, with the current figures', async () => {
    const alert = makeAlert({ fingerprint: 'fp-critical', figures: { records: 24, recovered: 3 } }, { severity: 'critical' });
    const message = createMessage({ type: 'alert.updated', alerts: [alert], audience: 'operator', tenant: null, groupKey: 'g', createdAt: clock.now() });
    const result = await svc.notifier.channels.datadog({ channel: 'datadog' }, message, { attempt: 1, timeoutMs: 2000, now: clock.now() });
    assert.equal(result.ok, true);
    const e = dd.requests.at(-1)!.json;
    assert.equal(e.aggregation_key, groupAggregationKey('g'), 'the update rolls up with the firing and the resolve');
    assert.equal(e.alert_type, 'error');
    assert.match(e.text, /Update: still going on, and it has grown since the last event\./);
    assert.match(e.text, /Records failed: 24; synced since: 3/);
    assert.match(e.text, new RegExp(`All records that still fail: ${PUBLIC}/status/acme#failing`));
  });

  test('Datadog refusing the key is final; 429 and 5xx are retried, honouring Retry-After', async () => {
    const message = createMessage({ type: 'test', alerts: [], audience: 'operator', tenant: null, groupKey: 't', createdAt: clock.now() });
    const send = () => svc.notifier.channels.datadog({ channel: 'datadog' }, message, { attempt: 1, timeoutMs: 2000, now: clock.now() });
    try {
      dd.setReply(() => ({ status: 403, body: '{"errors":["Forbidden"]}' }));
      assert.deepEqual(await send(), { ok: false, status: 403, retryable: false, retryAfterMs: undefined, error: 'Datadog answered 403 (check DD_API_KEY)' });
      dd.setReply(() => ({ status: 429, headers: { 'x-ratelimit-reset': '7' }, body: '{"errors":["rate limited"]}' }));
      const limited = await send();
      assert.equal(limited.retryable, true);
      assert.equal(limited.retryAfterMs, 7000);
      dd.setReply(() => ({ status: 503, body: 'down' }));
      assert.equal((await send()).retryable, true);
    } finally {
      dd.setReply(accept);
    }
  });
});

describe('Datadog metric series', () => {
  test('records synced and failed, value moved and connection health, with the documented names and tags', async () => {
    const now = clock.now();
    const at = (s: number) => new Date(now - s * 1000).toISOString();
    const base = { tenant: 'acme', integration: 'salesforce', flow: 'orders.export' };
    const events = [
      { ...base, type: 'run.started', run: 'r1', time: at(50) },
      { ...base, type: 'record.synced', run: 'r1', time: at(49), record: { id: 'ORD-1', type: 'order', value: 100.25, currency: 'USD' } },
      { ...base, type: 'record.synced', run: 'r1', time: at(48), record: { id: 'ORD-2', type: 'order', value: 50, currency: 'USD' } },
      { ...base, type: 'record.synced', run: 'r1', time: at(48), record: { id: 'ORD-3', type: 'order', value: 10, currency: 'EUR' } },
      { ...base, type: 'record.failed', run: 'r1', time: at(47), record: { id: 'ORD-4', type: 'order' }, error: { http_status: 422, message: 'email is required' } },
      { ...base, type: 'record.failed', run: 'r1', time: at(47), record: { id: 'ORD-5', type: 'order' }, error: { http_status: 503, message: 'Service Unavailable' } },
      { ...base, type: 'run.succeeded', run: 'r1', time: at(45), records_total: 5 },
      { tenant: 'globex', integration: 'hubspot', flow: 'deals.export', type: 'record.synced', run: 'g1', time: at(40), record: { id: 'D-1' } },
      { tenant: 'globex', integration: 'hubspot', flow: 'deals.export', type: 'run.succeeded', run: 'g1', time: at(39) },
      // A runner whose clock is 3 hours fast: accepted (up to 24 h ahead), so counted in the minute it arrived.
      { tenant: 'initech', integration: 'netsuite', flow: 'invoices.export', type: 'record.synced', run: 'i1', time: at(-3 * 3600), record: { id: 'INV-1' } },
    ];
    const res = await request(svc.server).post('/v1/events').set('Authorization', `Bearer ${INGEST}`).send(events);
    assert.equal(res.body.accepted, events.length);
    await svc.ingest.batcher.flush();

    const before = dd.requests.length;
    // The minute that just began is reported by the run at the start of the next one.
    const result = await svc.notifier.metricsReporter.reportOnce(now + 60_000);
    assert.equal(result.ok, true, result.error);
    const posts = dd.requests.slice(before);
    assert.equal(posts.length, 1);
    assert.equal(posts[0].path, '/api/v2/series');
    assert.equal(posts[0].headers['dd-api-key'], DD_KEY);
    const series: { metric: string; type: number; points: { timestamp: number; value: number }[]; tags: string[] }[] = posts[0].json.series;

    for (const s of series) {
      assert.ok((DATADOG_METRIC_NAMES as string[]).includes(s.metric), `${s.metric} is a documented metric`);
      assert.deepEqual(Object.keys(tagMap(s.tags)).sort(), [...DATADOG_METRICS[s.metric as keyof typeof DATADOG_METRICS].tags].filter((t) => t !== 'connection').sort(), `${s.metric} carries its documented tags`);
    }
    const find = (metric: string, tags: Record<string, string>) =>
      series.filter((s) => s.metric === metric && Object.entries(tags).every(([k, v]) => tagMap(s.tags)[k] === v));
    const one = (metric: string, tags: Record<string, string>) => {
      const found = find(metric, tags);
      assert.equal(found.length, 1, `one ${metric} series for ${JSON.stringify(tags)}`);
      return found[0];
    };
    const minuteStart = Math.floor(now / 60_000) * 60;
    const synced = one('syncwatch.records.synced', { tenant: 'acme', integration: 'salesforce' });
    assert.deepEqual(synced.points, [{ timestamp: minuteStart, value: 3 }]);
    assert.equal(synced.type, 1, 'a count');
    assert.equal(one('syncwatch.records.synced', { tenant: 'globex' }).points[0].value, 1);
    assert.equal(one('syncwatch.records.synced', { tenant: 'initech' }).points[0].value, 1, 'a future-dated event counts when it arrives');
    assert.equal(one('syncwatch.records.failed', { tenant: 'acme', category: 'data' }).points[0].value, 1);
    assert.equal(one('syncwatch.records.failed', { tenant: 'acme', category: 'endpoint' }).points[0].value, 1);
    assert.equal(one('syncwatch.value.moved', { tenant: 'acme', currency: 'USD' }).points[0].value, 150.25);
    assert.equal(one('syncwatch.value.moved', { tenant: 'acme', currency: 'EUR' }).points[0].value, 10);
    assert.equal(find('syncwatch.value.moved', { tenant: 'globex' }).length, 0, 'records without a value move no money');

    const acmeHealth = one('syncwatch.connection.health', { tenant: 'acme', integration: 'salesforce' });
    assert.equal(acmeHealth.type, 3, 'a gauge');
    assert.ok(acmeHealth.points[0].value >= 1, 'acme has failures: not healthy');
    assert.equal(one('syncwatch.connection.health', { tenant: 'globex', integration: 'hubspot' }).points[0].value, 0, 'globex is healthy');

    // A later minute with no new events sends no counts (only health).
    const later = await svc.notifier.metricsReporter.collect(now + 5 * 60_000);
    assert.deepEqual([...new Set(later.map((s) => s.metric))], ['syncwatch.connection.health']);
  });

  test('docs/notify.md documents every metric name and its tags', () => {
    const doc = readFileSync(new URL('../../docs/notify.md', import.meta.url), 'utf8');
    for (const [name, spec] of Object.entries(DATADOG_METRICS)) {
      assert.ok(doc.includes(`\`${name}\``), `${name} is documented`);
      for (const tag of spec.tags) assert.ok(doc.includes(`\`${tag}\``), `tag ${tag} is documented`);
    }
  });
});
