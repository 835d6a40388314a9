import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync, inflateSync } from 'node:zlib';
import type { ManualClock } from '../../src/clock.js';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import type { Alert } from '../../src/alerts/model.js';
import { loadConfig, type Config } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { startService, type Service, type ServiceOptions } from '../../src/main.js';
import { createTestDatabase } from '../support/remote-db.js';

export const ADMIN = 'admin-key-0123456789abcdef';
export const INGEST = 'ingest-key-0123456789abcdef';
export const SECRET = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;

/** A syncwatch for notify tests: a given clock and notifier options, a data dir that can outlive one start. */
export interface NotifyService extends Service {
  config: Config;
  dataDir: string;
  /** Stops the service; removes the data dir unless `keep`. */
  stop(keep?: boolean): Promise<void>;
}

/** Starts syncwatch on loopback with an own data dir (or `dataDir`, to restart on the same data). */
export async function startNotifyService(env: Record<string, string>, options: ServiceOptions = {}, dataDir?: string, db?: Awaited<ReturnType<typeof createTestDatabase>>): Promise<NotifyService & { db: Awaited<ReturnType<typeof createTestDatabase>> }> {
  const database = db ?? (await createTestDatabase());
  const dir = dataDir ?? mkdtempSync(path.join(tmpdir(), 'syncwatch-notify-'));
  const config = loadConfig({
    PORT: '0',
    SYNCWATCH_GRPC_PORT: '0',
    HOST: '127.0.0.1',
    SYNCWATCH_LOG_LEVEL: 'silent',
    SYNCWATCH_BATCH_MS: '100',
    SYNCWATCH_ADMIN_KEY: ADMIN,
    SYNCWATCH_INGEST_KEY: INGEST,
    ...database.env,
    ...env,
    SYNCWATCH_DATA_DIR: dir,
  });
  const service = await startService(config, createLogger(config.logLevel), options);
  return {
    ...service,
    config,
    dataDir: dir,
    db: database,
    async stop(keep = false) {
      await service.close();
      if (keep) return;
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A real SMTP server on loopback (smtp-server) that parses what it receives (mailparser). */
export async function startSmtp(): Promise<{ url: string; mails: (ParsedMail & { envelopeTo: string[] })[]; close(): Promise<void> }> {
  const mails: (ParsedMail & { envelopeTo: string[] })[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      simpleParser(stream).then(
        (mail) => {
          mails.push(Object.assign(mail, { envelopeTo: session.envelope.rcptTo.map((r) => r.address) }));
          callback();
        },
        (err: Error) => callback(err),
      );
    },
  });
  server.listen(0, '127.0.0.1');
  await once(server.server, 'listening');
  const { port } = server.server.address() as AddressInfo;
  return { url: `smtp://127.0.0.1:${port}`, mails, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** One request a loopback receiver got. */
export interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  raw: string;
  json: any;
}

/** A loopback HTTP receiver that records requests and answers with `reply` (changeable). */
export async function startReceiver(
  reply: (req: Received) => { status: number; headers?: Record<string, string>; body?: string } = () => ({ status: 200 }),
): Promise<{ url: string; requests: Received[]; reply: typeof reply; setReply(r: typeof reply): void; close(): Promise<void> }> {
  const state = { reply };
  const requests: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let buf = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') buf = gunzipSync(buf);
      if (req.headers['content-encoding'] === 'deflate') buf = inflateSync(buf);
      const raw = buf.toString('utf8');
      let json: unknown = null;
      try {
        json = JSON.parse(raw);
      } catch {
        // not JSON: the raw text is recorded
      }
      const received = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, raw, json };
      requests.push(received);
      const answer = state.reply(received);
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      res.end(answer.body ?? '{}');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    reply,
    setReply: (r) => (state.reply = r),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Waits until `check` is true (polling), or fails after `ms`. */
export async function waitFor(check: () => boolean, ms = 10_000, what = 'condition'): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A firing data alert for acme's Salesforce orders export, as the alerts capability would hand it over. */
export function makeAlert(over: Partial<Alert> = {}, labels: Partial<Alert['labels']> = {}): Alert {
  const t = Date.UTC(2026, 10, 22, 11, 45);
  return {
    fingerprint: 'fp-acme-sf-orders-data',
    labels: {
      rule: 'data-failures',
      severity: 'warning',
      category: 'data',
      code: 'validation',
      audience: ['tenant'],
      tenant: 'acme',
      integration: 'salesforce',
      flow: 'orders.export',
      ...labels,
    },
    summary: '12 orders failed validation in the last 15 minutes',
    action: 'Fix these records in your system; they will sync on the next run.',
    records: [
      { id: 'ORD-1001', message: 'email is required' },
      { id: 'ORD-1002', message: 'amount must be positive', run: 'run-42' } as Alert['records'][number],
    ],
    valueAtRisk: { amount: 12345.5, currency: 'USD' },
    status: 'firing',
    activeSince: t,
    firedAt: t + 60_000,
    resolvedAt: null,
    clearSince: null,
    lastNotifiedAt: null,
    version: 3,
    ...over,
  };
}

/** Moves a manual clock to each next due delivery and dispatches, until nothing is pending or `until` is reached. */
export async function runOutboxUntilIdle(outbox: { nextDueAt(): number | null; dispatchDue(now: number): Promise<unknown> }, clock: ManualClock, until: number): Promise<void> {
  for (;;) {
    const due = outbox.nextDueAt();
    if (due === null || due > until) return;
    if (due > clock.now()) clock.set(due);
    await outbox.dispatchDue(clock.now());
  }
}
