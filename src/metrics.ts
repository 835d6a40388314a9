import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Driver, EventTouch, JsonLines, RowCopy } from './store/index.js';

/*
 * The service's own metrics (GET /metrics), named by Prometheus conventions so they read
 * like every other exporter's:
 * - one `syncwatch_` prefix (the process metrics are `syncwatch_process_cpu_seconds_total`…);
 * - running totals are counters ending in `_total`; a total another module keeps (batcher
 *   stats) is exposed with `counterFrom`, which stays monotonic;
 * - levels (depths, bytes, ages) are gauges named for their unit (`_bytes`, `_seconds`);
 * - latencies are histograms in seconds (`_duration_seconds`);
 * - labels have few values (a route pattern, never a URL; a source, never a tenant).
 * docs/operations.md lists every metric and alert examples.
 */

/** Latency buckets (seconds): from a cached read to a slow flush. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** The service's own Prometheus metrics (GET /metrics). */
export interface Metrics {
  registry: Registry;
  /** Events, spans and log records accepted, by source (events, traces, logs). */
  acceptedEvents: Counter<'source'>;
  /** Refused as invalid, by source. */
  rejectedEvents: Counter<'source'>;
  /** OTLP log records ignored: not an integration event. */
  ignoredLogRecords: Counter;
  unexpectedErrors: Counter;
  /** Ingest requests refused at capacity (the admission limit), by transport (http, grpc). */
  refusedAtCapacity: Counter<'transport'>;
  /** HTTP requests by method, route pattern and status. */
  httpDuration: Histogram<'method' | 'route' | 'status'>;
  /** Store calls by operation (query name, insert table, command). */
  storeDuration: Histogram<'operation' | 'kind'>;
  /** Registers a gauge read at scrape time (`read` may be async). */
  gauge(name: string, help: string, read: () => number | Promise<number>): void;
  /** Registers a counter that follows a running total kept elsewhere (it never goes down). */
  counterFrom(name: string, help: string, read: () => number): void;
}

/** Creates a registry with default process metrics and syncwatch's own. */
export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'syncwatch_' });
  // prom-client names three gauges `_total`; the per-type gauges without the suffix stay.
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
    registry.removeSingleMetric(`syncwatch_${name}`);
  }
  const registers = [registry];
  return {
    registry,
    acceptedEvents: new Counter({ name: 'syncwatch_ingest_accepted_total', help: 'Events, spans and log records accepted', labelNames: ['source'], registers }),
    rejectedEvents: new Counter({ name: 'syncwatch_ingest_rejected_total', help: 'Events, spans and log records refused as invalid', labelNames: ['source'], registers }),
    ignoredLogRecords: new Counter({ name: 'syncwatch_ingest_log_records_ignored_total', help: 'OTLP log records ignored (not an integration event)', registers }),
    unexpectedErrors: new Counter({ name: 'syncwatch_http_unexpected_errors_total', help: 'Requests that ended in a 500', registers }),
    refusedAtCapacity: new Counter({
      name: 'syncwatch_ingest_refused_at_capacity_total',
      help: 'Ingest requests refused at once because too much ingest work was in flight (503 / UNAVAILABLE)',
      labelNames: ['transport'],
      registers,
    }),
    httpDuration: new Histogram({
      name: 'syncwatch_http_request_duration_seconds',
      help: 'HTTP request latency by route pattern',
      labelNames: ['method', 'route', 'status'],
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    storeDuration: new Histogram({
      name: 'syncwatch_store_duration_seconds',
      help: 'Latency of store calls by operation (kind: query, insert, command)',
      labelNames: ['operation', 'kind'],
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    gauge(name, help, read) {
      new Gauge({ name, help, registers, async collect() { this.set(await read()); } });
    },
    counterFrom(name, help, read) {
      let seen = 0;
      new Counter({
        name,
        help,
        registers,
        collect() {
          const now = read();
          if (now > seen) this.inc(now - seen);
          seen = Math.max(seen, now);
        },
      });
    },
  };
}

/** The store with every call timed into `syncwatch_store_duration_seconds` (errors included). */
export function timedDriver(driver: Driver, metrics: Metrics): Driver {
  const time = async <T>(operation: string, kind: string, call: () => Promise<T>): Promise<T> => {
    const end = metrics.storeDuration.startTimer({ operation, kind });
    try {
      return await call();
    } finally {
      end();
    }
  };
  return {
    kind: driver.kind,
    cluster: driver.cluster,
    query: (q) => time(q.name, 'query', () => driver.query(q)),
    insert: (table, rows) => time(table, 'insert', () => driver.insert(table, rows)),
    insertJson: (table, lines) => time(table, 'insert', () => driver.insertJson(table, lines)),
    // DDL and maintenance statements: one label value, not the statement text.
    command: (sql, params) => time('command', 'command', () => driver.command(sql, params)),
    // Passed on only where the engine has it: ingest's de-duplication filter looks for it.
    ...(driver.queryBytes && { queryBytes: (name: string, sql: string, params?: Record<string, unknown>) => time(name, 'query', () => driver.queryBytes!(name, sql, params)) }),
    ...(driver.insertJsonThenCopy && {
      insertJsonThenCopy: (table: string, lines: JsonLines, copy: RowCopy, touch?: EventTouch) => time(table, 'insert', () => driver.insertJsonThenCopy!(table, lines, copy, touch)),
    }),
    ...(driver.eventWrites && { eventWrites: driver.eventWrites }),
    ping: () => driver.ping(),
    close: () => driver.close(),
  };
}
