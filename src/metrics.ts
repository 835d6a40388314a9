import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

/** The service's own Prometheus metrics (GET /metrics). */
export interface Metrics {
  registry: Registry;
  acceptedEvents: Counter<'source'>;
  rejectedEvents: Counter<'source'>;
  unexpectedErrors: Counter;
  /** Registers a gauge read at scrape time. */
  gauge(name: string, help: string, read: () => number): void;
}

/** Creates a registry with default process metrics and syncwatch's counters. */
export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'syncwatch_process_' });
  return {
    registry,
    acceptedEvents: new Counter({ name: 'syncwatch_ingest_accepted_total', help: 'Events and spans accepted', labelNames: ['source'], registers: [registry] }),
    rejectedEvents: new Counter({ name: 'syncwatch_ingest_rejected_total', help: 'Events and spans rejected as invalid', labelNames: ['source'], registers: [registry] }),
    unexpectedErrors: new Counter({ name: 'syncwatch_http_unexpected_errors_total', help: 'Requests that ended in a 500', registers: [registry] }),
    gauge(name, help, read) {
      new Gauge({ name, help, registers: [registry], collect() { this.set(read()); } });
    },
  };
}
