import { randomBytes } from 'node:crypto';
import { systemClock } from '../clock.js';
import type { Config } from '../config.js';
import { Links, type AccessSigner } from '../links.js';
import { createLogger } from '../logger.js';
import { startService, type Service } from '../main.js';
import { renderBanner, type DemoKey, type DemoSummary } from './banner.js';
import { feedWorkload } from './feed.js';
import { splitForTraces } from './otlp.js';
import { HOUR } from './scenarios.js';
import { DEFAULT_SEED, findRetriedRecord, generateWorkload } from './workload.js';

export { generateWorkload, generateEvents, findRetriedRecord, DEFAULT_SEED, type Workload, type WorkloadOptions, type RetriedRecord } from './workload.js';
export { planScenarios, type Scenarios } from './scenarios.js';
export { INTEGRATIONS, TENANTS, PROSPECTS, CONNECTIONS } from './catalog.js';
export { FUNNEL } from './lifecycle.js';
export { splitForTraces, type TraceSplit, type OtlpTraceRequest } from './otlp.js';
export { feedWorkload, type FeedOptions, type FeedResult } from './feed.js';
export type { DemoSummary, DemoKey } from './banner.js';

/** Longest window the demo simulates: beyond this the seeding stops being a quick demo. */
export const MAX_DEMO_DAYS = 90;

/** Options of `syncwatch demo`. */
export interface DemoOptions {
  /** Days of history to simulate, ending now (default 7). */
  days?: number;
  seed?: string;
  /** End of the simulated window (default: now). */
  now?: number;
  /** Progress bar on stderr (default: only when stderr is a terminal). */
  progress?: boolean;
  /** Where the closing banner goes (default stdout; null: nowhere). */
  out?: NodeJS.WritableStream | null;
}

/** The running demo service, with what was seeded into it. */
export interface DemoService extends Service {
  demo: DemoSummary;
}

const newKey = (role: string) => `sw_${role}_${randomBytes(24).toString('base64url')}`;

/** The configured admin and ingest keys, or freshly generated ones added to the config (docs/architecture.md#access). */
function demoKeys(config: Config): { keys: Config['keys']; admin: DemoKey; ingest: DemoKey } {
  const keys = [...config.keys];
  const unscoped = (role: string) => keys.find((k) => k.role === role && !k.tenants?.length)?.key;
  const pick = (role: 'admin' | 'ingest', env: string): DemoKey => {
    const existing = unscoped(role);
    if (existing) return { key: existing, generated: false, env };
    const key = newKey(role);
    keys.push({ key, role });
    return { key, generated: true, env };
  };
  return { keys, admin: pick('admin', 'SYNCWATCH_ADMIN_KEY'), ingest: pick('ingest', 'SYNCWATCH_INGEST_KEY') };
}

/** A signed link to the status page of the tenant whose records fail for their data (the page has the most to show). */
function demoStatusLink(signer: AccessSigner, url: string, tenant: string): DemoSummary['statusLink'] {
  const links = new Links(url, signer, systemClock);
  return { tenant, url: links.statusPage(tenant), validDays: Math.round(links.ttlMs / 86_400_000) };
}

/** A URL this process can reach its own server on (a wildcard listen address is not one). */
function selfUrl(service: Service, host: string): string {
  return host === '0.0.0.0' || host === '::' ? `http://127.0.0.1:${service.port}` : service.url;
}

/**
 * `syncwatch demo`: starts the service and feeds it a simulated week of integration
 * telemetry through its public HTTP API (events, plus a few runs as OTLP spans), then
 * prints where it runs, its keys and commands to try. The service keeps running.
 */
export async function runDemo(config: Config, options: DemoOptions = {}): Promise<DemoService> {
  const days = options.days ?? 7;
  if (!Number.isFinite(days) || days <= 0 || days > MAX_DEMO_DAYS) {
    throw new RangeError(`--days must be a positive number of days, at most ${MAX_DEMO_DAYS}; got ${options.days}`);
  }
  const { keys, admin, ingest } = demoKeys(config);
  const cfg: Config = { ...config, keys };
  const service = await startService(cfg, createLogger(cfg.logLevel));
  try {
    const started = performance.now();
    const { events, scenarios } = generateWorkload({ seed: options.seed ?? DEFAULT_SEED, now: options.now, days });
    // The last few hours of one flow arrive as spans, as from a runner instrumented with OpenTelemetry.
    const split = splitForTraces(events, { tenant: 'acme', integration: 'salesforce', flow: 'contacts.import', since: scenarios.now - 4 * HOUR });
    const fed = await feedWorkload(split.events, split.traces, {
      url: selfUrl(service, cfg.host),
      ingestKey: ingest.key,
      progress: options.progress ?? process.stderr.isTTY === true,
      // Accepted means durable; flushing makes it visible to queries before the banner says "try this".
      settle: () => service.ingest.batcher.flush(),
    });
    if (fed.rejected.length > 0) {
      const first = fed.rejected[0];
      throw new Error(`the API refused ${fed.rejected.length} demo events (first: #${first.index}: ${first.error})`);
    }
    const runs = events.filter((e) => e.type === 'run.started');
    const summary: DemoSummary = {
      url: service.url,
      days,
      generatedEvents: events.length,
      acceptedEvents: fed.acceptedEvents,
      acceptedSpans: fed.acceptedSpans,
      eventsAsSpans: split.eventsAsSpans,
      tenants: new Set(runs.map((e) => e.tenant)).size,
      integrations: new Set(runs.map((e) => e.integration)).size,
      connections: new Set(runs.map((e) => `${e.tenant}/${e.integration}`)).size,
      runs: runs.length,
      seedMs: performance.now() - started,
      retried: findRetriedRecord(split.events, 'globex'),
      adminKey: admin,
      ingestKey: ingest,
      statusLink: demoStatusLink(service.signer, service.url, scenarios.dataErrors.tenant),
    };
    if (options.out !== null) (options.out ?? process.stdout).write(renderBanner(summary));
    return { ...service, demo: summary };
  } catch (err) {
    await service.close();
    throw err;
  }
}
