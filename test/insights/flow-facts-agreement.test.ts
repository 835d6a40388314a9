import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { ManualClock } from '../../src/clock.js';
import { evaluateWindowRules, loadAlertRules, type AlertRule, type Observation } from '../../src/alerts/index.js';
import { getStatusPage, type StatusConnection } from '../../src/views/index.js';
import { TEST_EPOCH } from '../support/clock.js';
import { prng, randomWorkload } from '../support/random-workload.js';
import { startTestService, type TestService } from '../support/service.js';

// A status on the status page and an alert about the same flow at the same moment come
// from the same flow facts, so they cannot disagree: for a seeded random workload (flows
// failing in streaks, going quiet, connections turned off and on again, events out of
// order and sent twice), at several moments, the page's "last N runs failed" and "no
// successful run for …" reasons hold exactly where the consecutive-failed-runs and stale
// alerts are active, the page's advice says "stale" only where a stale alert is active,
// and the alerts' figures (the streak, the seconds since the last success) equal a
// recount from the raw events.

const ADMIN = 'admin-key-0123456789abcdef';
const INGEST = 'ingest-key-0123456789abcdef';
const MIN = 60_000;
const H = 60 * MIN;
const D = 24 * H;
const NOW = TEST_EPOCH;
const TENANTS = ['acme', 'globex', 'initech', 'umbrella', 'zeta-0', 'zeta-1', 'zeta-2', 'zeta-3', 'zeta-4', 'zeta-5'];

type Ev = Record<string, unknown>;
interface Raw {
  type: string;
  ms: number;
  tenant: string;
  integration: string;
  flow: string;
  run: string;
}

let svc: TestService;
let rulesDir: string;
let rules: AlertRule[];
let raw: Raw[];

/**
 * Flows of their own for the zeta tenants: runs at a random cadence (10 to 60 minutes)
 * failing with a random probability per flow, stopping a random time before NOW, and a
 * connection now and then disabled (and sometimes enabled again).
 */
function streakyWorkload(seed: number): Ev[] {
  const rnd = prng(seed);
  const events: Ev[] = [];
  let n = 0;
  const iso = (ms: number) => new Date(Math.min(ms, NOW - 1000)).toISOString();
  for (const tenant of TENANTS.filter((t) => t.startsWith('zeta'))) {
    for (const integration of ['salesforce', 'hubspot']) {
      if (rnd() < 0.25) {
        events.push({ id: `z${n++}`, type: 'integration.disabled', tenant, integration, time: iso(NOW - rnd() * 6 * H) });
        if (rnd() < 0.4) events.push({ id: `z${n++}`, type: 'integration.enabled', tenant, integration, time: iso(NOW - rnd() * H) });
      }
      for (const flow of ['orders.export', 'contacts.import']) {
        const cadence = (10 + Math.floor(rnd() * 50)) * MIN;
        const failRate = rnd();
        const last = NOW - rnd() * 8 * H;
        const runs = 6 + Math.floor(rnd() * 14);
        for (let i = runs - 1; i >= 0; i--) {
          const end = last - i * cadence + Math.floor(rnd() * 30_000);
          const run = `${tenant}-${integration}-${flow}-${i}`;
          const failed = rnd() < failRate;
          events.push({ id: `z${n++}`, type: 'run.started', tenant, integration, flow, run, time: iso(end - MIN) });
          events.push({
            id: `z${n++}`,
            type: failed ? 'run.failed' : 'run.succeeded',
            tenant,
            integration,
            flow,
            run,
            time: iso(end),
            ...(failed ? { error: { http_status: 503, message: 'Service Unavailable' } } : {}),
          });
        }
      }
    }
  }
  return events;
}

async function post(batch: Ev[]): Promise<void> {
  const res = await request(svc.server).post('/v1/events').set('Authorization', `Bearer ${INGEST}`).send(batch);
  assert.equal(res.status, 202, JSON.stringify(res.body));
  assert.deepEqual(res.body.rejected, []);
}

before(async () => {
  rulesDir = mkdtempSync(path.join(tmpdir(), 'syncwatch-facts-rules-'));
  // The health thresholds' defaults, as rules: the page and the alerts judge with the same limits.
  writeFileSync(
    path.join(rulesDir, 'facts.yaml'),
    `rules:
  - name: streak
    kind: consecutive_failed_runs
    runs: 3
    group_by: [tenant, integration, flow]
  - name: stale
    kind: stale
    factor: 2
    min_cadence: 5m
    group_by: [tenant, integration, flow]
`,
  );
  rules = loadAlertRules(rulesDir);
  svc = await startTestService({ SYNCWATCH_ADMIN_KEY: ADMIN, SYNCWATCH_INGEST_KEY: INGEST, SYNCWATCH_ALERT_RULES: rulesDir }, { clock: new ManualClock(NOW) });
  for (const batch of randomWorkload(23, { now: NOW }).batches) await post(batch);
  const own = streakyWorkload(23);
  for (let i = 0; i < own.length; i += 200) await post(own.slice(i, i + 200));
  await post(own.filter((_, i) => i % 9 === 0)); // some sent twice
  await svc.ingest.batcher.flush();
  raw = (
    await svc.driver.query<Raw>({
      name: 'test.raw_runs',
      sql: `SELECT toString(type) AS type, toUnixTimestamp64Milli(ts) AS ms, toString(tenant) AS tenant,
                   toString(integration) AS integration, toString(flow) AS flow, run
            FROM events FINAL WHERE type IN ('run.started', 'run.succeeded', 'run.failed', 'record.synced', 'record.failed', 'record.skipped')`,
    })
  ).map((r) => ({ ...r, ms: Number(r.ms) }));
});
after(async () => {
  await svc.stop();
  rmSync(rulesDir, { recursive: true, force: true });
});

const key = (r: { tenant: string; integration: string; flow: string }) => `${r.tenant}|${r.integration}|${r.flow}`;

/** The streak and stale-since of one flow as of `now`, recounted from its raw events. */
function recount(flow: string, now: number): { streak: number; staleSince: number } {
  const rows = raw.filter((r) => key(r) === flow);
  const ends = rows.filter((r) => (r.type === 'run.succeeded' || r.type === 'run.failed') && r.ms <= now).sort((a, b) => b.ms - a.ms);
  let streak = 0;
  while (streak < Math.min(ends.length, 20) && ends[streak].type === 'run.failed') streak++;
  const successes = rows.filter((r) => r.type === 'run.succeeded').map((r) => r.ms);
  return { streak, staleSince: successes.length ? Math.max(...successes) : Math.min(...rows.map((r) => r.ms)) };
}

describe('the status page and the alerts read the same flow facts', () => {
  test('the health limits the rules restate are the configured ones', () => {
    const h = svc.config.health;
    assert.equal(h.consecutive_failed_runs, 3);
    assert.equal(h.stale_factor, 2);
    assert.equal(h.min_cadence_seconds, 300);
  });

  const moments = [
    { name: 'now', at: () => NOW },
    { name: 'in 47 minutes', at: () => NOW + 47 * MIN },
    { name: 'in 5 hours', at: () => NOW + 5 * H },
    { name: 'in 2 days', at: () => NOW + 2 * D },
  ];
  const seen = { streak: new Set<boolean>(), stale: new Set<boolean>(), disabled: 0 };

  for (const m of moments) {
    test(`page reasons and advice agree with the alerts, whose figures equal a raw recount (${m.name})`, async () => {
      const now = m.at();
      const observations = await evaluateWindowRules(svc.driver, rules, now, { health: svc.config.health });
      const byRule = (rule: string) => new Map(observations.filter((o) => o.labels.rule === rule).map((o): [string, Observation] => [key(o.labels), o]));
      const streak = byRule('streak');
      const stale = byRule('stale');
      let flows = 0;
      for (const tenant of TENANTS) {
        const page = await getStatusPage(svc.driver, svc.config.health, { tenant, now });
        for (const c of page.connections as StatusConnection[]) {
          for (const f of c.flows) {
            const k = key({ tenant, integration: c.integration, flow: f.flow });
            const where = `${k} at ${m.name}`;
            const alert = { streak: streak.get(k), stale: stale.get(k) };
            assert.ok(alert.streak && alert.stale, `${where}: every flow gets an observation of each rule`);
            const codes = f.reasons.map((r) => r.code);
            assert.equal(alert.streak.active, codes.includes('consecutive_failed_runs'), `${where}: streak alert vs page (${codes})`);
            assert.equal(alert.stale.active, codes.includes('no_recent_success'), `${where}: stale alert vs page (${codes})`);
            seen.streak.add(alert.streak.active);
            seen.stale.add(alert.stale.active);
            flows++;
            if (f.status === 'disabled') {
              seen.disabled++;
              assert.equal(alert.streak.value, 0, `${where}: a disabled flow has no streak to alert on`);
              continue;
            }
            const r = recount(k, now);
            assert.equal(alert.streak.value, r.streak, `${where}: streak`);
            if (f.cadence_seconds !== null) assert.equal(alert.stale.value, Math.round((now - r.staleSince) / 1000), `${where}: seconds since the last success`);
          }
          // "Stale" advice comes from a flow at the connection's status that a stale alert is about.
          if (c.advice.some((a) => a.kind === 'stale') && c.status === 'stale') {
            assert.ok(
              c.flows.some((f) => stale.get(key({ tenant, integration: c.integration, flow: f.flow }))?.active),
              `${tenant}/${c.integration}: stale advice with no stale alert`,
            );
          }
        }
      }
      assert.ok(flows > 20, `the workload has many flows (${flows})`);
    });
  }

  test('the workload exercised both outcomes of both rules, and disabled connections', () => {
    assert.deepEqual([...seen.streak].sort(), [false, true]);
    assert.deepEqual([...seen.stale].sort(), [false, true]);
    assert.ok(seen.disabled > 0);
  });
});
