import type { v2 } from '@datadog/datadog-api-client';
import cron, { type ScheduledTask } from 'node-cron';
import { z } from 'zod';
import type { Clock } from '../clock.js';
import type { HealthSettings } from '../config.js';
import { LIMITS } from '../ingest/index.js';
import { getHealth, type HealthStatus } from '../insights/index.js';
import type { Logger } from '../logger.js';
import { toChTime, type Driver } from '../store/index.js';
import type { DatadogClient } from './datadog-client.js';
import type { DeliveryResult } from './model.js';

/** Every metric syncwatch sends to Datadog, with its tags (docs/notify.md; dashboards/ read these names). */
export const DATADOG_METRICS = {
  'syncwatch.records.synced': { type: 'count', tags: ['tenant', 'integration'] },
  'syncwatch.records.failed': { type: 'count', tags: ['tenant', 'integration', 'category'] },
  'syncwatch.value.moved': { type: 'count', tags: ['tenant', 'integration', 'currency'] },
  'syncwatch.connection.health': { type: 'gauge', tags: ['tenant', 'integration', 'connection'] },
} as const;

export type DatadogMetricName = keyof typeof DATADOG_METRICS;
export const DATADOG_METRIC_NAMES = Object.keys(DATADOG_METRICS) as DatadogMetricName[];

/** The connection.health gauge: 0 healthy … 3 failing. Disabled and unknown connections send no point. */
export const HEALTH_GAUGE: Partial<Record<HealthStatus, number>> = { healthy: 0, degraded: 1, stale: 2, failing: 3 };

const MINUTE = 60_000;
const INTAKE = { count: 1, gauge: 3 } as const;

const minuteRow = z.object({
  tenant: z.string(),
  integration: z.string(),
  type: z.enum(['record.synced', 'record.failed']),
  category: z.string(),
  currency: z.string(),
  records: z.coerce.number(),
  value: z.coerce.number(),
  valued: z.coerce.number(),
});

// Counted by arrival (received_at), so every event lands in exactly one minute however late it
// was sent; the ts bounds only let the primary key skip old data (an event arriving more than
// an hour after it happened is not counted here — it still is in /v1/health and /v1/value).
// The upper bound is ingest's own limit on future times, so a runner with a fast clock counts.
const MINUTE_SQL = `
  SELECT tenant, integration, type,
         if(type = 'record.failed', toString(failure_category), '') AS category,
         if(type = 'record.synced' AND has_value = 1, toString(currency), '') AS currency,
         count() AS records,
         sumIf(record_value, has_value = 1) AS value,
         countIf(has_value = 1) AS valued
  FROM events
  WHERE type IN ('record.synced', 'record.failed')
    AND ts >= {tsFrom:DateTime64(3)} AND ts < {tsTo:DateTime64(3)}
    AND received_at >= {from:DateTime64(3)} AND received_at < {to:DateTime64(3)}
  GROUP BY tenant, integration, type, category, currency`;

/** What the reporter needs. */
export interface MetricsReporterDeps {
  driver: Driver;
  datadog: DatadogClient | null;
  health: HealthSettings;
  clock: Clock;
  log: Logger;
  timeoutMs: number;
  /** Scheduled reports are skipped while this is false (another worker holds the lease). */
  shouldRun?: () => boolean;
}

/**
 * Sends syncwatch's metric series to Datadog every minute (node-cron): records synced and
 * failed and value moved in the last whole minute, and the health of every connection.
 * `reportOnce(now)` is the whole job, callable directly (tests, a manual flush).
 */
export class DatadogMetricsReporter {
  private task: ScheduledTask | null = null;

  constructor(private readonly deps: MetricsReporterDeps) {}

  /** Is there anywhere to send to? */
  get enabled(): boolean {
    return this.deps.datadog !== null;
  }

  /** The series for the whole minute before `now` (and health as of `now`). */
  async collect(now: number): Promise<v2.MetricSeries[]> {
    const to = Math.floor(now / MINUTE) * MINUTE;
    const from = to - MINUTE;
    const stamp = Math.floor(from / 1000);
    const rows = await this.deps.driver.query({
      name: 'notify.datadog_minute',
      sql: MINUTE_SQL,
      params: { from: toChTime(from), to: toChTime(to), tsFrom: toChTime(from - 60 * MINUTE), tsTo: toChTime(to + LIMITS.maxFutureMs + MINUTE) },
      schema: minuteRow,
    });
    const counts = new Map<string, { metric: DatadogMetricName; tags: string[]; value: number }>();
    const add = (metric: DatadogMetricName, tags: string[], value: number) => {
      const key = `${metric}|${tags.join(',')}`;
      const entry = counts.get(key) ?? { metric, tags, value: 0 };
      entry.value += value;
      counts.set(key, entry);
    };
    for (const r of rows) {
      const base = [`tenant:${r.tenant}`, `integration:${r.integration}`];
      if (r.type === 'record.failed') add('syncwatch.records.failed', [...base, `category:${r.category || 'unknown'}`], r.records);
      else {
        add('syncwatch.records.synced', base, r.records);
        if (r.valued > 0 && r.currency) add('syncwatch.value.moved', [...base, `currency:${r.currency}`], r.value);
      }
    }
    const series: v2.MetricSeries[] = [...counts.values()].map((c) => ({
      metric: c.metric,
      type: INTAKE.count,
      interval: 60,
      points: [{ timestamp: stamp, value: c.value }],
      tags: c.tags,
    }));

    const connections = await getHealth(this.deps.driver, this.deps.health, {
      range: { from: new Date(now - this.deps.health.window_hours * 3_600_000), to: new Date(now) },
      windowLabel: `in the last ${this.deps.health.window_hours}h`,
      now,
    });
    for (const c of connections) {
      const value = HEALTH_GAUGE[c.status];
      if (value === undefined) continue;
      const tags = [`tenant:${c.tenant}`, `integration:${c.integration}`, ...(c.connection ? [`connection:${c.connection}`] : [])];
      series.push({ metric: 'syncwatch.connection.health', type: INTAKE.gauge, points: [{ timestamp: Math.floor(now / 1000), value }], tags });
    }
    return series;
  }

  /** Computes and submits one minute's series (at most 500 per request). */
  async reportOnce(now: number = this.deps.clock.now()): Promise<DeliveryResult & { series: number }> {
    const datadog = this.deps.datadog;
    if (!datadog) return { ok: false, retryable: false, error: 'Datadog is not configured: set DD_API_KEY', series: 0 };
    const series = await this.collect(now);
    for (let i = 0; i < series.length; i += 500) {
      const body: v2.MetricPayload = { series: series.slice(i, i + 500) };
      const result = await datadog.call(this.deps.timeoutMs, now, () => datadog.metrics.submitMetrics({ body }));
      if (!result.ok) return { ...result, series: series.length };
    }
    return { ok: true, retryable: false, series: series.length };
  }

  /** Reports at the start of every minute (a no-op when Datadog is off). */
  start(): void {
    if (!this.enabled || this.task) return;
    this.task = cron.schedule(
      '* * * * *',
      async () => {
        if (this.deps.shouldRun && !this.deps.shouldRun()) return;
        try {
          const result = await this.reportOnce(this.deps.clock.now());
          if (!result.ok) this.deps.log.warn({ status: result.status, error: result.error }, 'Datadog metrics not accepted');
        } catch (err) {
          this.deps.log.error({ err }, 'Datadog metrics could not be computed');
        }
      },
      { name: 'syncwatch-datadog-metrics', noOverlap: true },
    );
  }

  async stop(): Promise<void> {
    const task = this.task;
    this.task = null;
    if (task) await task.destroy();
  }
}
