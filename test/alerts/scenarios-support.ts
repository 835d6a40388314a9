import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import type { AlertEngine } from '../../src/alerts/index.js';
import { ManualClock } from '../../src/clock.js';
import { ADMIN, INGEST, SECRET, startNotifyService, startReceiver, startSmtp, waitFor, type NotifyService, type Received } from '../notify/support.js';

export { ADMIN, SECRET, waitFor };
export const MIN = 60_000;

/**
 * Verifies a Standard Webhooks signature without syncwatch's code: HMAC-SHA256 over
 * `id.timestamp.body` with the base64-decoded part of a `whsec_` secret, compared in constant time.
 */
export function verifySignature(secret: string, headers: IncomingHttpHeaders, body: string): boolean {
  const id = String(headers['webhook-id'] ?? '');
  const timestamp = String(headers['webhook-timestamp'] ?? '');
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = Buffer.from(createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64'));
  return String(headers['webhook-signature'] ?? '')
    .split(' ')
    .some((sig) => {
      const got = Buffer.from(sig.replace(/^v1,/, ''));
      return sig.startsWith('v1,') && got.length === expected.length && timingSafeEqual(got, expected);
    });
}

type Receiver = Awaited<ReturnType<typeof startReceiver>>;
type Smtp = Awaited<ReturnType<typeof startSmtp>>;

/** The loopback world a scenario notifies: one SMTP server, the ops webhook, Datadog, and tenants' webhooks. */
export interface Receivers {
  smtp: Smtp;
  ops: Receiver;
  datadog: Receiver;
  tenant: Map<string, Receiver>;
  close(): Promise<void>;
}

export async function startReceivers(tenants: string[] = []): Promise<Receivers> {
  const smtp = await startSmtp();
  const ops = await startReceiver();
  const datadog = await startReceiver(() => ({ status: 202, body: '{"status":"ok"}' }));
  const tenant = new Map<string, Receiver>();
  for (const t of tenants) tenant.set(t, await startReceiver());
  return {
    smtp,
    ops,
    datadog,
    tenant,
    async close() {
      await Promise.all([smtp.close(), ops.close(), datadog.close(), ...[...tenant.values()].map((r) => r.close())]);
    },
  };
}

/** Webhook requests of one type that carry a valid signature (every one must). */
export function webhooks(r: Receiver, type?: string): Received[] {
  for (const req of r.requests) assert.ok(verifySignature(SECRET, req.headers, req.raw), `bad signature on ${req.path}`);
  return r.requests.filter((req) => type === undefined || req.json?.type === type);
}

/** Datadog events the loopback API received. */
export const datadogEvents = (r: Receiver) => r.requests.filter((q) => q.path.startsWith('/api/v1/events')).map((q) => q.json);

export interface ScenarioOptions {
  /** YAML of an alert rules directory of its own (default: the shipped alert-rules/). */
  rules?: string;
  /** Restart on the data of an earlier scenario. */
  reuse?: Scenario;
  /** The outbox's retry policy (jitter is fixed at the midpoint either way). */
  policy?: { maxAttempts?: number };
}

/** A syncwatch with every channel pointed at loopback receivers and a clock the test moves. */
export interface Scenario {
  svc: NotifyService & { db: Awaited<ReturnType<typeof startNotifyService>>['db'] };
  clock: ManualClock;
  engine: AlertEngine;
  rx: Receivers;
  dir: string;
  /** Posts events (times in epoch ms) and waits until the store has them. */
  post(events: Record<string, unknown>[]): Promise<void>;
  /** Moves the clock to `at` (when given) and runs one evaluation tick. */
  tick(at?: number): ReturnType<AlertEngine['tick']>;
  /** Moves the clock to `at` and runs the outbox tick (routing due by time, then dispatch). */
  dispatch(at: number): Promise<boolean>;
  subscribe(tenant: string, body: Record<string, unknown>): Promise<void>;
  /** Stops the service; `keep` leaves the data for a restart. */
  stop(keep?: boolean): Promise<void>;
}

export async function startScenario(rx: Receivers, clock: ManualClock, opts: ScenarioOptions = {}): Promise<Scenario> {
  const dir = opts.reuse?.dir ?? mkdtempSync(path.join(tmpdir(), 'syncwatch-scenario-'));
  const configFile = path.join(dir, 'syncwatch.yaml');
  writeFileSync(configFile, `alerts:\n  receivers:\n    ops:\n      webhooks:\n        - url: ${rx.ops.url}/ops\n          secret: ${SECRET}\n`);
  const env: Record<string, string> = {
    SMTP_URL: rx.smtp.url,
    SYNCWATCH_EMAIL_FROM: 'syncwatch@vendor.example',
    SYNCWATCH_OPS_EMAIL: 'ops@vendor.example',
    DD_API_KEY: 'dd-test-key',
    SYNCWATCH_DATADOG_URL: rx.datadog.url,
    SYNCWATCH_WEBHOOK_ALLOW: '127.0.0.1',
    SYNCWATCH_PUBLIC_URL: 'https://status.vendor.example',
    SYNCWATCH_CONFIG: configFile,
  };
  if (opts.rules !== undefined) {
    const rulesDir = path.join(dir, 'rules');
    mkdirSync(rulesDir, { recursive: true });
    writeFileSync(path.join(rulesDir, 'rules.yaml'), opts.rules);
    env.SYNCWATCH_ALERT_RULES = rulesDir;
  }
  const svc = await startNotifyService(
    env,
    {
      clock,
      notify: { dispatchEveryMs: 0, reportMetrics: false, policy: { random: () => 0.5, ...opts.policy } },
      // Streaming evaluation on, as shipped, but unpaced and awaited by post(): its
      // confirmation runs at the clock's instant of the post, not whenever wall time allows.
      alerts: { schedule: false, lease: { settleMs: 0 }, streaming: { minIntervalMs: 0 } },
    },
    path.join(dir, 'data'),
    opts.reuse?.svc.db,
  );
  const engine = svc.alerting.engine!;
  await engine.start();
  return {
    svc,
    clock,
    engine,
    rx,
    dir,
    async post(events) {
      const body = events.map((e) => ({ ...e, ...(typeof e.time === 'number' ? { time: new Date(e.time).toISOString() } : {}) }));
      const res = await request(svc.server).post('/v1/events').set('Authorization', `Bearer ${INGEST}`).send(body);
      assert.equal(res.status, 202, JSON.stringify(res.body));
      assert.deepEqual(res.body.rejected, []);
      await svc.ingest.batcher.flush();
      await svc.alerting.streaming?.idle();
    },
    tick(at) {
      if (at !== undefined) clock.set(at);
      return engine.tick();
    },
    dispatch(at) {
      clock.set(at);
      return engine.dispatch();
    },
    async subscribe(tenant, body) {
      const res = await request(svc.server).put(`/v1/tenants/${tenant}/subscriptions`).set('Authorization', `Bearer ${ADMIN}`).send(body);
      assert.equal(res.status, 200, JSON.stringify(res.body));
    },
    async stop(keep = false) {
      await svc.stop(keep);
      if (!keep) rmSync(dir, { recursive: true, force: true });
    },
  };
}
