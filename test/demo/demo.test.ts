import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config.js';
import { defaultClassificationFile, loadClassificationRules, type IntegrationEvent } from '../../src/ingest/index.js';
import { toEventRows } from '../../src/ingest/events.js';
import { FUNNEL, findRetriedRecord, generateWorkload, INTEGRATIONS, runDemo, type DemoService } from '../../src/demo/index.js';

const NOW = Date.parse('2026-11-22T10:17:00.000Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const rules = loadClassificationRules(defaultClassificationFile());

const time = (e: IntegrationEvent) => Date.parse(e.time!);
const connection = (e: IntegrationEvent) => `${e.tenant}/${e.integration}`;

/** Run outcomes per (tenant, integration, flow), in time order. */
function runOutcomes(events: IntegrationEvent[]): Map<string, { type: string; time: number }[]> {
  const flows = new Map<string, { type: string; time: number }[]>();
  for (const e of events) {
    if (e.type !== 'run.succeeded' && e.type !== 'run.failed') continue;
    const key = `${connection(e)}/${e.flow}`;
    if (!flows.has(key)) flows.set(key, []);
    flows.get(key)!.push({ type: e.type, time: time(e) });
  }
  return flows;
}

/** Asserts that a generated workload holds every story the demo is meant to tell. */
function assertScenarios(events: IntegrationEvent[], now: number): void {
  const { rows, rejected } = toEventRows(events, rules, null, now);
  assert.deepEqual(rejected, [], 'every generated event passes the ingest schema');
  const runs = events.filter((e) => e.type === 'run.started');
  assert.ok(new Set(runs.map((e) => e.tenant)).size >= 5, 'at least five tenants run syncs');
  assert.deepEqual(new Set(runs.map((e) => e.integration)), new Set(['salesforce', 'quickbooks', 'hubspot', 'netsuite']));
  for (const i of INTEGRATIONS) assert.ok(new Set(runs.filter((e) => e.integration === i.id).map((e) => e.flow)).size >= 2, `${i.id} runs 2+ flows`);
  const tenantsOf = (integration: string) => new Set(runs.filter((e) => e.integration === integration).map((e) => e.tenant));
  assert.ok(INTEGRATIONS.some((i) => tenantsOf(i.id).size < 5), 'not every tenant has every integration');

  // Failures, as syncwatch classifies them (docs/classification.md).
  const failures = new Set(rows.filter((r) => r.failure_category).map((r) => `${r.failure_category}.${r.failure_code}`));
  for (const f of ['endpoint.unavailable', 'endpoint.rate_limited', 'endpoint.auth', 'endpoint.timeout', 'data.validation', 'data.mapping', 'infra.resources']) {
    assert.ok(failures.has(f), `a ${f} failure is present (got ${[...failures].join(', ')})`);
  }
  const outage = rows.filter((r) => r.integration === 'netsuite' && r.failure_code === 'unavailable');
  const netsuiteTenants = new Set(runs.filter((e) => e.integration === 'netsuite' && time(e) >= now - DAY).map((e) => e.tenant));
  assert.deepEqual(new Set(outage.map((r) => r.tenant)), netsuiteTenants, 'the netsuite outage hits every netsuite tenant');
  const outageTimes = outage.map((r) => Date.parse(r.ts.replace(' ', 'T') + 'Z'));
  assert.ok(Math.max(...outageTimes) - Math.min(...outageTimes) <= 2.5 * HOUR, 'the outage lasts about two hours');
  assert.ok(rows.some((r) => r.integration === 'hubspot' && r.type === 'record.failed' && r.http_status === 429), 'hubspot rate-limits');
  assert.deepEqual(new Set(rows.filter((r) => r.failure_category === 'data' && r.failure_code !== 'conflict').map((r) => r.tenant)), new Set(['globex']));
  const oom = events.find((e) => e.type === 'run.failed' && e.error?.exit_code === 137);
  assert.match(oom?.error?.message ?? '', /JavaScript heap out of memory/);

  // Adoption funnel, churn, auth.
  const types = new Set(events.map((e) => e.type));
  for (const t of [...FUNNEL, 'integration.disabled', 'integration.uninstalled', 'auth.expiring', 'auth.expired', 'record.skipped']) {
    assert.ok(types.has(t as IntegrationEvent['type']), `a ${t} event is present`);
  }
  const count = (t: string) => events.filter((e) => e.type === t).length;
  assert.ok(count('integration.viewed') > count('integration.install_started') && count('integration.configured') > count('integration.enabled'), 'people drop off along the funnel');
  const expiring = events.filter((e) => e.type === 'auth.expiring' && Date.parse(e.attributes!.expires_at) > now);
  assert.ok(expiring.some((e) => Math.abs(Date.parse(e.attributes!.expires_at) - time(e) - 3 * DAY) < HOUR), 'a token expires three days after the warning');

  // A stale connection, and a flow whose last three runs failed.
  const lastRun = new Map<string, number>();
  for (const e of runs) lastRun.set(connection(e), Math.max(lastRun.get(connection(e)) ?? 0, time(e)));
  const churned = new Set(events.filter((e) => e.type === 'integration.disabled').map(connection));
  const stale = [...lastRun].filter(([c, t]) => !churned.has(c) && t < now - DAY);
  assert.deepEqual(stale.map(([c]) => c), ['initech/salesforce'], 'one live connection has had no runs for more than a day');
  const failingFlows = [...runOutcomes(events)].filter(([, outcomes]) => outcomes.length >= 3 && outcomes.slice(-3).every((o) => o.type === 'run.failed'));
  assert.ok(failingFlows.some(([flow]) => flow.startsWith('umbrella/quickbooks/')), `umbrella/quickbooks fails its last 3 runs (failing: ${failingFlows.map(([f]) => f)})`);

  assert.ok(events.every((e) => time(e) <= now && time(e) > Date.UTC(2000, 0, 1)), 'no event is in the future');
  assert.equal(new Set(events.map((e) => e.id)).size, events.length, 'event ids are unique');
  assert.ok(findRetriedRecord(events, 'globex'), 'a record failed, then synced on a later attempt');
}

describe('demo workload generator', () => {
  const week = generateWorkload({ now: NOW, days: 7 }).events;

  it('is deterministic: the same seed, time and days give the same events', () => {
    assert.deepEqual(generateWorkload({ now: NOW, days: 7 }).events, week);
    assert.notDeepEqual(generateWorkload({ now: NOW, days: 7, seed: 'other' }).events, week);
  });

  it('contains every scenario over a week', () => assertScenarios(week, NOW));

  it('contains every scenario over a single day, with less volume', () => {
    const day = generateWorkload({ now: NOW, days: 1 }).events;
    assert.ok(day.length < week.length / 3, `${day.length} events in a day vs ${week.length} in a week`);
    assertScenarios(day, NOW);
  });

  it('gives a run the same ids and content when regenerated later the same day (re-runs do not double count)', () => {
    const later = generateWorkload({ now: NOW + 20 * 60_000, days: 7 }).events;
    const byId = new Map(later.map((e) => [e.id, e]));
    const overlap = week.filter((e) => time(e) >= NOW - 6 * DAY);
    const same = overlap.filter((e) => JSON.stringify(byId.get(e.id)) === JSON.stringify(e));
    assert.ok(same.length / overlap.length > 0.99, `${same.length} of ${overlap.length} events regenerated identically`);
  });

  it('gives every run a start, records and an end with records_total', () => {
    const byRun = new Map<string, IntegrationEvent[]>();
    for (const e of week) {
      if (!e.run) continue;
      if (!byRun.has(e.run)) byRun.set(e.run, []);
      byRun.get(e.run)!.push(e);
    }
    for (const [run, events] of byRun) {
      assert.equal(events[0].type, 'run.started', run);
      const end = events.at(-1)!;
      assert.match(end.type, /^run\.(succeeded|failed)$/, run);
      assert.equal(typeof end.records_total, 'number', run);
    }
  });
});

describe('syncwatch demo, end to end', () => {
  let dataDir: string;
  let demo: DemoService;
  const now = Date.now();

  before(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'syncwatch-demo-'));
    const config = loadConfig({ PORT: '0', SYNCWATCH_GRPC_PORT: '0', HOST: '127.0.0.1', SYNCWATCH_LOG_LEVEL: 'silent', SYNCWATCH_BATCH_MS: '100', SYNCWATCH_DATA_DIR: dataDir });
    demo = await runDemo(config, { days: 1, now, progress: false, out: null });
  });

  after(async () => {
    await demo?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const get = (pathAndQuery: string, key?: string) =>
    fetch(`${demo.url}${pathAndQuery}`, { headers: key ? { authorization: `Bearer ${key}` } : {} });

  it('has every generated event accepted through the API (events and OTLP spans)', async () => {
    const generated = generateWorkload({ now, days: 1 }).events.length;
    const s = demo.demo;
    assert.equal(s.generatedEvents, generated);
    assert.ok(s.acceptedSpans > 0 && s.eventsAsSpans > 0, 'some runs travelled as spans');
    assert.equal(s.acceptedEvents + s.eventsAsSpans, generated);
    const metrics = await (await get('/metrics')).text();
    const accepted = (source: string) => Number(new RegExp(`syncwatch_ingest_accepted_total\\{source="${source}"\\} (\\d+)`).exec(metrics)?.[1]);
    assert.equal(accepted('events'), s.acceptedEvents);
    assert.equal(accepted('traces'), s.acceptedSpans);
  });

  it('answers a record lookup with both the failed and the later synced attempt', async () => {
    const retried = findRetriedRecord(generateWorkload({ now, days: 1 }).events, 'globex')!;
    assert.deepEqual(demo.demo.retried, retried);
    const res = await get(`/v1/records?tenant=${retried.tenant}&record_id=${encodeURIComponent(retried.recordId)}`, demo.demo.adminKey.key);
    assert.equal(res.status, 200);
    const body = (await res.json()) as { attempts: { status: string; failure: { message: string } | null }[] };
    const statuses = body.attempts.map((a) => a.status);
    const firstFailure = statuses.indexOf('failed');
    assert.ok(firstFailure >= 0 && statuses.indexOf('synced', firstFailure) > firstFailure, `attempts: ${statuses.join(', ')}`);
    assert.equal(body.attempts[firstFailure].failure?.message, retried.failureMessage);
  });

  it('protects the API with the generated keys', async () => {
    assert.ok(demo.demo.adminKey.generated && demo.demo.ingestKey.generated);
    assert.equal((await get('/v1/records?tenant=acme&record_id=x')).status, 401);
    assert.equal((await get('/v1/records?tenant=acme&record_id=x', demo.demo.ingestKey.key)).status, 403);
  });
});

describe('syncwatch demo, run twice on the same data directory', () => {
  let dataDir: string;
  const running: DemoService[] = [];
  const now = Date.now();

  before(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'syncwatch-demo-rerun-'));
  });

  after(async () => {
    for (const s of running) await s.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const start = async () => {
    const config = loadConfig({ PORT: '0', SYNCWATCH_GRPC_PORT: '0', HOST: '127.0.0.1', SYNCWATCH_LOG_LEVEL: 'silent', SYNCWATCH_BATCH_MS: '100', SYNCWATCH_DATA_DIR: dataDir });
    const service = await runDemo(config, { days: 0.5, now, progress: false, out: null });
    running.push(service);
    return service;
  };

  it('stores nothing twice: every re-sent event and span is recognised by its id', async () => {
    const first = await start();
    await first.close();
    const second = await start();
    const s = second.demo;
    const metrics = await (await fetch(`${second.url}/metrics`)).text();
    const duplicates = Number(/syncwatch_ingest_duplicates_dropped_total (\d+)/.exec(metrics)?.[1]);
    // Spans count once as spans and once per integration event they imply.
    assert.equal(duplicates, s.acceptedEvents + s.acceptedSpans + s.eventsAsSpans);
    assert.equal(second.ingest.batcher.stats.storedEvents, 0);
  });
});
