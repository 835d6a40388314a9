// Issue 12's partner outage (bench/incidents): HubSpot answers 503 to 20 of 25 tenants for
// 15 minutes. syncwatch runs it with the shipped rules and default timings on a simulated
// clock (evaluation every 30 s, as `alerts.evaluate_every` defaults); the per-connection
// alerts syncwatch's rules raise (the stream its incident replaces) are then replayed in
// real time into Prometheus Alertmanager with its default timings, and both are compared:
// messages to operators, first-notification latency and resolve latency.
//
// Alertmanager is not a test dependency. On Debian/Ubuntu: `apt-get install -y prometheus-alertmanager`
// (0.25 in Debian 12), or set ALERTMANAGER_BIN to any alertmanager binary.
//
//   tsx bench/incidents.ts [--no-write]
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { appendFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import request from 'supertest';
import { ManualClock } from '../src/clock.js';
import { drivePartnerOutage, OUTAGE_MS } from '../test/alerts/partner-outage.js';
import { ADMIN, MIN, datadogEvents, startReceivers, startScenario, webhooks } from '../test/alerts/scenarios-support.js';
import { freePort } from '../test/support/free-port.js';
import { describeEnvironment, embeddedEngineVersion } from './report.js';

const RESULTS = fileURLToPath(new URL('./RESULTS.md', import.meta.url));
const AM_BIN = process.env.ALERTMANAGER_BIN ?? '/usr/bin/prometheus-alertmanager';
const write = !process.argv.includes('--no-write');
const sec = (ms: number) => `${Math.round(ms / 1000)} s`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface StreamAlert {
  labels: Record<string, string>;
  firedAt: number;
  resolvedAt: number | null;
}

/** syncwatch on the scenario: what each audience got, when, and the symptom alerts it inhibited. */
async function runSyncwatch() {
  const base = Math.floor(Date.now() / (5 * MIN)) * 5 * MIN;
  const rx = await startReceivers(['t00']);
  const s = await startScenario(rx, new ManualClock(base - 60 * MIN));
  await s.subscribe('t00', { webhooks: [{ url: `${rx.tenant.get('t00')!.url}/hook`, secret: 'whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=' }] });
  await drivePartnerOutage(s, base);
  const alerts = (await request(s.svc.server).get(`/v1/alerts?since=${new Date(base - MIN).toISOString()}&limit=1000`).set('Authorization', `Bearer ${ADMIN}`)).body.alerts as any[];
  const ops = webhooks(rx.ops).map((w) => ({ type: w.json.type as string, at: Date.parse(w.json.created_at) }));
  const result = {
    start: base - 1000, // the first refused record
    recovery: base + OUTAGE_MS,
    ops,
    datadog: datadogEvents(rx.datadog).length,
    tenant: webhooks(rx.tenant.get('t00')!).length,
    stream: alerts
      .filter((a) => a.rule !== 'partner-incident' && a.fired_at)
      .map((a): StreamAlert => ({ labels: { alertname: a.rule, tenant: a.tenant, integration: a.integration, flow: a.flow, severity: a.severity }, firedAt: Date.parse(a.fired_at), resolvedAt: a.resolved_at ? Date.parse(a.resolved_at) : null })),
  };
  await s.stop();
  await rx.close();
  return result;
}

/** A loopback webhook receiver for Alertmanager that records when each notification arrived. */
async function startHook() {
  const got: { at: number; status: string; alerts: number }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const json = JSON.parse(body) as { status: string; alerts: unknown[] };
      got.push({ at: Date.now(), status: json.status, alerts: json.alerts.length });
      res.end('{}');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, got, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/**
 * Replays the stream into Alertmanager in real time, from the first alert on, as Prometheus
 * would send it (every alert re-sent each minute while firing, a resolve with its endsAt
 * at its own time); returns each notification with its time on the scenario's clock.
 */
async function runAlertmanager(stream: StreamAlert[]) {
  const hook = await startHook();
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'syncwatch-am-'));
  // Default timings (group_wait 30s, group_interval 5m, repeat_interval 4h): only the receiver and grouping are set.
  writeFileSync(path.join(dir, 'am.yml'), `route:\n  receiver: ops\n  group_by: [alertname, integration]\nreceivers:\n  - name: ops\n    webhook_configs:\n      - url: ${hook.url}/am\n        send_resolved: true\n`);
  const am = spawn(AM_BIN, [`--config.file=${path.join(dir, 'am.yml')}`, `--storage.path=${dir}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address='], { stdio: 'ignore' });
  try {
    for (let i = 0; i < 100 && !(await fetch(`http://127.0.0.1:${port}/-/ready`).then((r) => r.ok, () => false)); i++) await sleep(200);
    const first = Math.min(...stream.map((a) => a.firedAt));
    const end = Math.max(...stream.map((a) => a.resolvedAt ?? a.firedAt)) + 6 * MIN;
    const t0 = Date.now();
    const sim = () => first + (Date.now() - t0);
    const real = (t: number) => new Date(t0 + (t - first)).toISOString();
    while (sim() < end) {
      const now = sim();
      const batch = stream
        .filter((a) => a.firedAt <= now && (a.resolvedAt === null || a.resolvedAt > now - 2 * MIN))
        .map((a) => ({ labels: a.labels, startsAt: real(a.firedAt), endsAt: a.resolvedAt !== null && a.resolvedAt <= now ? real(a.resolvedAt) : real(now + 4 * MIN) }));
      if (batch.length) await fetch(`http://127.0.0.1:${port}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(batch) });
      const next = Math.min(now + 60_000, ...stream.flatMap((a) => [a.firedAt, a.resolvedAt ?? Infinity]).filter((t) => t > now));
      await sleep(Math.max(50, next - sim()));
    }
    return hook.got.map((g) => ({ ...g, at: first + (g.at - t0) }));
  } finally {
    const exited = once(am, 'exit');
    am.kill('SIGTERM');
    await exited;
    await hook.close();
    rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
  }
}

async function main() {
  if (!existsSync(AM_BIN)) throw new Error(`no Alertmanager at ${AM_BIN}: apt-get install -y prometheus-alertmanager, or set ALERTMANAGER_BIN`);
  const sw = await runSyncwatch();
  console.log('syncwatch', JSON.stringify({ ops: sw.ops, datadog: sw.datadog, tenant: sw.tenant, stream: sw.stream.length }));
  const am = await runAlertmanager(sw.stream);
  console.log('alertmanager', JSON.stringify(am));
  const swFiring = sw.ops.find((m) => m.type === 'alert.firing');
  const swResolved = sw.ops.filter((m) => m.type === 'alert.resolved').at(-1);
  const amFiring = am.find((m) => m.status === 'firing');
  const amResolved = am.filter((m) => m.status === 'resolved').at(-1);
  const after = (t: number | undefined, from: number) => (t === undefined ? 'none' : sec(t - from));
  const rows: [string, string, string][] = [
    ['operator messages (firing / resolved)', `${sw.ops.filter((m) => m.type === 'alert.firing').length} / ${sw.ops.filter((m) => m.type === 'alert.resolved').length}`, `${am.filter((m) => m.status === 'firing').length} / ${am.filter((m) => m.status === 'resolved').length}`],
    ['alerts in those messages', `${sw.ops.length} incident messages`, am.map((m) => `${m.status} ${m.alerts}`).join(', ')],
    ['first operator notification after the first failure', after(swFiring?.at, sw.start), after(amFiring?.at, sw.start)],
    ['last resolved notification after the partner recovered', after(swResolved?.at, sw.recovery), after(amResolved?.at, sw.recovery)],
    ['Datadog events / messages to a subscribed tenant', `${sw.datadog} / ${sw.tenant}`, 'n/a (one webhook receiver)'],
  ];
  const env = await describeEnvironment(embeddedEngineVersion);
  const md = [
    `\n### ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC — partner outage: syncwatch incident vs Alertmanager (issue 12)\n`,
    'HubSpot answers 503 to 20 of 25 tenants for 15 minutes (5-minute runs). syncwatch: shipped rules, default timings, simulated clock',
    'ticked every 30 s. Alertmanager 0.25 (Debian `prometheus-alertmanager`), default timings, `group_by: [alertname, integration]`, fed in',
    `real time the ${sw.stream.length} per-connection alerts syncwatch's own rules raised (and inhibited), at the times they fired and`,
    "resolved, re-sent every minute as Prometheus does: Alertmanager is given syncwatch's detection for free, so its latencies",
    'below are a lower bound. `tsx bench/incidents.ts` (install: `apt-get install -y prometheus-alertmanager`).\n',
    '| | syncwatch | Alertmanager |',
    '| --- | --- | --- |',
    ...rows.map(([k, a, b]) => `| ${k} | ${a} | ${b} |`),
    ...Object.entries(env).map(([k, v]) => `| ${k} | ${v} | |`),
    '',
  ].join('\n');
  console.log(md);
  if (write) appendFileSync(RESULTS, md);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
