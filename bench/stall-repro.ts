// Reproduces the ECONNRESET under saturation (issue 15): the in-process service under a bench-like
// load while the event loop is stalled on purpose (STALL_MS every STALL_EVERY ms, in the check phase),
// logging each server socket's keep-alive timeout and each client error with its port.
// Run: SYNCWATCH_DECODE_THREADS=1 EVENTS=200000 CONC=4 STALL_MS=2500 STALL_EVERY=3000 npx tsx bench/stall-repro.ts
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Socket } from 'node:net';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { startService } from '../src/main.js';
import { generateEvents } from '../bench/events.js';
import dc from 'node:diagnostics_channel';
const lastPort = new WeakMap<object, number>();
dc.subscribe('undici:client:sendHeaders', (m: any) => lastPort.set(m.request, m.socket?.localPort));
dc.subscribe('undici:request:error', (m: any) => console.log('C request error on client port', lastPort.get(m.request), m.error?.code));

const EVENTS = Number(process.env.EVENTS ?? 100000), BATCH = 5000, CONC = Number(process.env.CONC ?? 4);
const STALL_MS = Number(process.env.STALL_MS ?? 0), STALL_EVERY = Number(process.env.STALL_EVERY ?? 2000);
const KEY = 'bench-ingest-key-0123456789abcdef';
const t0 = Date.now();
const log = (...a: unknown[]) => console.log(`${((Date.now() - t0) / 1000).toFixed(2)}s`, ...a);
const day = 864e5, baseMs = Math.floor(Date.now() / day) * day - 3 * day;
const bodies: Buffer[] = [];
for (let f = 0; f < EVENTS; f += BATCH) bodies.push(Buffer.from(JSON.stringify(generateEvents(f, f + BATCH, EVENTS, baseMs))));
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('SYNCWATCH_'))) as Record<string, string>;
const config = loadConfig({ SYNCWATCH_GRPC_PORT: '0', ...env, PORT: '0', HOST: '127.0.0.1', SYNCWATCH_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'sw-repro-')), SYNCWATCH_LOG_LEVEL: 'silent', SYNCWATCH_INGEST_KEY: KEY });
const service = await startService(config, createLogger('silent'));
const srv = service.server;
log('server', { keepAliveTimeout: srv.keepAliveTimeout, requestTimeout: srv.requestTimeout, headersTimeout: srv.headersTimeout, decode: config.ingest.decodeThreads });
let conn = 0;
srv.on('connection', (s: Socket) => {
  const id = ++conn; let reqs = 0;
  log(`S conn#${id} open port ${s.remotePort}`);
  s.on('error', (e: NodeJS.ErrnoException) => log(`S conn#${id} error ${e.code}`));
  s.on('close', (hadErr) => log(`S conn#${id} close hadError=${hadErr} after ${reqs} requests`));
  s.on('timeout', () => log(`S conn#${id} port ${s.remotePort} keep-alive/idle timeout fired, destroying`));
  (s as any).__id = id; (s as any).__inc = () => reqs++;
});
srv.on('request', (req) => { (req.socket as any).__inc?.(); });
srv.on('clientError', (e: NodeJS.ErrnoException, s: any) => log(`S clientError ${e.code} on conn#${s.__id}`));
if (STALL_MS) setInterval(() => setImmediate(() => { const end = Date.now() + STALL_MS; while (Date.now() < end); }), STALL_EVERY).unref();
let next = 0, probeErrors = 0, running = true;
const probe = (async () => { while (running) { try { const r = await fetch(`${service.url}/healthz`); await r.arrayBuffer(); } catch (e: any) { probeErrors++; log('C probe error', e.message, e.cause?.code, e.cause?.message); } await new Promise((r) => setTimeout(r, 100)); } })();
const errors: string[] = [];
await Promise.all(Array.from({ length: CONC }, async () => {
  while (next < bodies.length) {
    const i = next++;
    try {
      const res = await fetch(`${service.url}/v1/events`, { method: 'POST', headers: { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/json' }, body: new Uint8Array(bodies[i]) });
      const j = await res.text();
      if (res.status !== 202) { log(`C req ${i} -> ${res.status} ${j.slice(0, 200)}`); errors.push(String(res.status)); }
    } catch (e: any) { log(`C req ${i} error`, e.message, e.cause?.code, e.cause?.message); errors.push(e.cause?.code ?? e.message); }
  }
}));
running = false; await probe;
log('done', { errors, probeErrors, conns: conn });
await service.close();
process.exit(0);
