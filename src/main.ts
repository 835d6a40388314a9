import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startAlerting, type Alerting, type AlertingOptions } from './alerts/index.js';
import { systemClock, type Clock } from './clock.js';
import { SOLE_LEADER, type Leadership } from './leadership.js';
import type { Config } from './config.js';
import { admissionFor, createApp, createHttpServer, startGrpcServer, type GrpcServer } from './http/index.js';
import { createIngest, type Ingest } from './ingest/index.js';
import { AccessSigner, Links, loadLinkSecret } from './links.js';
import { createLogger, type Logger } from './logger.js';
import { createMetrics, timedDriver } from './metrics.js';
import { countDeadDeliveries, createNotifier, type Notifier, type NotifierOptions } from './notify/index.js';
import { ReportScheduler } from './reports/index.js';
import { openStore, type Driver } from './store/index.js';

/** A running syncwatch process. */
export interface Service {
  url: string;
  port: number;
  server: Server;
  /** The OTLP/gRPC server, or null when SYNCWATCH_GRPC_PORT is 0. */
  grpc: GrpcServer | null;
  driver: Driver;
  ingest: Ingest;
  notifier: Notifier;
  alerting: Alerting;
  /** Page links (signed for tenants) and the signer pages verify them with. */
  links: Links;
  signer: AccessSigner;
  /** The scheduled value reports (null in role `api`). */
  reports: ReportScheduler | null;
  log: Logger;
  /** Graceful stop: no new requests, in-flight ones finish, everything accepted is written. */
  close(): Promise<void>;
}

/** What tests (and embedders) may swap: the clock, notification tuning. */
export interface ServiceOptions {
  clock?: Clock;
  notify?: NotifierOptions;
  alerts?: AlertingOptions;
  /** `schedule: false`: no node-cron check (tests call `reports.runDue(now)`). */
  reports?: { schedule?: boolean };
}

/** Starts syncwatch: config → store (migrated) → ingest → notifier → HTTP app. */
export async function startService(config: Config, log: Logger = createLogger(config.logLevel), options: ServiceOptions = {}): Promise<Service> {
  const metrics = createMetrics();
  const driver = timedDriver(await openStore(config), metrics);
  // One clock for the whole service: ingest's time window, insight defaults, alerts, notify and reports.
  const clock = options.clock ?? systemClock;
  const ingest = createIngest(driver, config, log, clock);
  const stats = ingest.batcher.stats;
  metrics.gauge('syncwatch_spool_backlog_segments', 'Spool segments waiting for the store', () => ingest.batcher.backlogSegments());
  metrics.gauge('syncwatch_spool_bytes', 'Bytes of accepted rows on disk not yet in the store', () => ingest.batcher.spoolBytes());
  metrics.gauge('syncwatch_spool_oldest_age_seconds', 'Age of the oldest accepted row not yet in the store (0: none waits)', () => ingest.batcher.spoolOldestAgeSeconds());
  metrics.counterFrom('syncwatch_store_flush_failures_total', 'Store writes that failed (rows kept in the spool and retried)', () => stats.flushFailures);
  metrics.counterFrom('syncwatch_ingest_duplicates_dropped_total', 'Re-sent events and spans dropped as duplicates', () => stats.duplicatesDropped);
  metrics.counterFrom('syncwatch_ingest_quarantined_rows_total', 'Rows the store refused, moved to the quarantine', () => stats.quarantinedRows);
  metrics.counterFrom('syncwatch_store_events_written_total', 'Event rows written to the store', () => stats.storedEvents);
  metrics.counterFrom('syncwatch_store_spans_written_total', 'Span rows written to the store', () => stats.storedSpans);

  // Page links in customer messages are signed and expire (src/links.ts); pages verify them.
  const signer = new AccessSigner(loadLinkSecret(config.linkSecret, config.dataDir));
  const links = new Links(config.publicUrl, signer, clock);
  const notifier = createNotifier({ config, driver, clock, log, links, options: options.notify });
  metrics.gauge('syncwatch_notify_outbox_depth', 'Notification deliveries waiting for an attempt', () => notifier.outbox.pendingCount());
  metrics.gauge('syncwatch_notify_dead_letters', 'Notification deliveries dead-lettered (listed by GET /v1/notifications?status=dead)', () => countDeadDeliveries(driver));

  const alerting = await startAlerting({ config, driver, ingest, outbox: notifier.outbox, dispatcher: notifier.dispatcher, clock, log, options: options.alerts });
  metrics.counterFrom('syncwatch_alerts_streaming_evaluations_total', 'Window-rule evaluations started by a threshold crossing seen in arriving events', () => alerting.streaming?.confirmations ?? 0);

  // The engine holds the alerting lease: it is the leadership that the dispatcher, the metric series, the
  // scheduled reports and the writing of staged events act under (docs/architecture.md#data-flow). A process
  // without one (role api) sends and writes nothing.
  const leadership: Leadership = alerting.engine ?? SOLE_LEADER;
  // One writer of events (docs/decisions.md): the lease holder writes what api processes staged.
  const drain = config.role === 'api' ? null : ingest.stagingDrain(leadership, Math.max(config.ingest.batchMs, 1_000));
  drain?.start();
  const duties = () => roleDuties(config, alerting.engine?.isLeader ?? false, drain?.lagMs() ?? 0);
  // One admission limit for ingest over HTTP and gRPC: they share the event loop and the heap.
  const admission = admissionFor(config);
  metrics.gauge('syncwatch_ingest_inflight_requests', 'Ingest requests being read, decoded or waiting for the spool (HTTP and gRPC)', () => admission.requests);
  metrics.gauge('syncwatch_ingest_inflight_bytes', 'Body bytes of the ingest requests in flight (after gzip)', () => admission.bytes);
  const app = createApp({ config, driver, ingest, metrics, log, notifier, clock, signer, links, duties, admission });
  const server = createHttpServer(app, config.http);
  // What runs behind the HTTP server, stopped in this order; the store closes last.
  const stopBehindServer = async () => {
    await drain?.stop();
    await alerting.stop();
    await notifier.stop();
    await ingest.close();
    await driver.close();
  };
  server.listen(config.port, config.host);
  try {
    await once(server, 'listening');
  } catch (err) {
    // A busy port: release the store before the error reaches the CLI (exiting with chDB open crashes).
    await stopBehindServer();
    throw err;
  }
  const port = (server.address() as AddressInfo).port;
  let grpc: GrpcServer | null = null;
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const url = `http://${host}:${port}`;
  // Only worker processes dispatch notifications (docs/architecture.md#data-flow); pending ones resume here.
  if (config.role !== 'api') await notifier.start(leadership);
  // Scheduled value reports: worker processes only, and like dispatch only while holding the lease.
  const reports =
    config.role === 'api'
      ? null
      : new ReportScheduler({ driver, config, outbox: notifier.outbox, links, clock, log, leadership });
  if (reports && options.reports?.schedule !== false) reports.start();
  // Replay whatever a previous process left in the spool.
  void ingest.batcher.flush().catch(() => {});

  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await Promise.all([stopped, grpc?.close()]);
      await reports?.stop();
      await stopBehindServer();
      log.info('syncwatch stopped');
    })());
  try {
    if (config.grpcPort > 0 && config.role !== 'worker') grpc = await startGrpcServer({ config, ingest, metrics, log, admission });
  } catch (err) {
    await close();
    throw err;
  }
  log.info({ url, grpcPort: grpc?.port ?? null, store: driver.kind, dataDir: config.dataDir, role: config.role }, 'syncwatch is listening');
  return { url, port, server, grpc, driver, ingest, notifier, alerting, links, signer, reports, log, close };
}

/**
 * /readyz per role: an `api` process is ready when the store answers and its spool
 * keeps up (checked by the route); a `worker` (or `all`) holding the lease must also keep
 * up with what api processes staged. A standby worker is ready: it has nothing to do.
 */
function roleDuties(config: Config, leader: boolean, stagingLagMs: number): { reason: string | null; detail: Record<string, unknown> } {
  const duties = config.role === 'api' ? ['ingest', 'api'] : config.role === 'worker' ? ['alerts', 'dispatch', 'staging'] : ['ingest', 'api', 'alerts', 'dispatch', 'staging'];
  const detail = { role: config.role, duties, ...(config.role === 'api' ? {} : { leader, staging_oldest_seconds: Math.round(stagingLagMs / 1000) }) };
  const stalled = config.role !== 'api' && leader && stagingLagMs > config.ingest.readyMaxLagMs;
  return { reason: stalled ? `staged batches have waited ${Math.round(stagingLagMs / 1000)} s for this worker to write them` : null, detail };
}
