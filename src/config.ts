import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { effectiveRates, readRateTable, type RateTable, type RatesInfo } from './rates.js';

// The only module that reads process.env: everything else receives a Config.

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(4318),
  HOST: z.string().default('0.0.0.0'),
  SYNCWATCH_GRPC_PORT: z.coerce.number().int().min(0).max(65535).default(4317),
  SYNCWATCH_DATA_DIR: z.string().default('./data'),
  CLICKHOUSE_URL: optionalString.pipe(z.url().optional()),
  CLICKHOUSE_USER: optionalString,
  CLICKHOUSE_PASSWORD: optionalString,
  CLICKHOUSE_DATABASE: optionalString,
  /** A self-managed cluster's name (remote_servers): migrations create replicated + Distributed tables ON CLUSTER. */
  CLICKHOUSE_CLUSTER: optionalString.pipe(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a cluster name (letters, digits, _)').optional()),
  SYNCWATCH_ADMIN_KEY: optionalString,
  SYNCWATCH_INGEST_KEY: optionalString,
  SYNCWATCH_CONFIG: optionalString,
  SYNCWATCH_ALERT_RULES: z.string().default('./alert-rules'),
  /** The reference exchange-rate table (rates.ts); unset: ./rates/reference.yaml when present. */
  SYNCWATCH_RATES_FILE: optionalString,
  SMTP_URL: optionalString,
  SYNCWATCH_EMAIL_FROM: optionalString,
  SYNCWATCH_OPS_EMAIL: optionalString,
  DD_API_KEY: optionalString,
  DD_SITE: z.string().default('datadoghq.com'),
  SYNCWATCH_DATADOG_URL: optionalString,
  SYNCWATCH_PAGERDUTY_URL: z.url().default('https://events.pagerduty.com/v2/enqueue'),
  SYNCWATCH_WEBHOOK_ALLOW: z.string().default(''),
  SYNCWATCH_PUBLIC_URL: z.url().default('http://localhost:4318'),
  SYNCWATCH_LINK_SECRET: optionalString.pipe(z.string().min(16, 'must be at least 16 characters').optional()),
  SYNCWATCH_ROLE: z.enum(['all', 'api', 'worker']).default('all'),
  SYNCWATCH_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SYNCWATCH_MAX_BODY_BYTES: z.coerce.number().int().positive().default(16 * 1024 * 1024),
  SYNCWATCH_BATCH_ROWS: z.coerce.number().int().positive().default(20_000),
  SYNCWATCH_BATCH_MS: z.coerce.number().int().positive().default(1_000),
  SYNCWATCH_SPOOL_MAX_BYTES: z.coerce.number().int().positive().default(1024 * 1024 * 1024),
  SYNCWATCH_INGEST_MAX_AGE_DAYS: z.coerce.number().positive().max(3650).default(400),
  SYNCWATCH_INGEST_MAX_FUTURE_HOURS: z.coerce.number().positive().max(24 * 366).default(24),
  SYNCWATCH_READY_MAX_LAG_SECONDS: z.coerce.number().int().positive().default(120),
  // Off by default for now: see docs/ingest.md#decoding-off-the-http-thread (1 suits a 2-core machine).
  SYNCWATCH_DECODE_THREADS: z.coerce.number().int().min(0).max(64).default(0),
  // Ingest work in flight before new requests get 503 at once (src/http/admission.ts; defaults measured in bench/RESULTS.md).
  SYNCWATCH_MAX_INFLIGHT_REQUESTS: z.coerce.number().int().positive().default(16),
  SYNCWATCH_MAX_INFLIGHT_BYTES: z.coerce.number().int().positive().default(64 * 1024 * 1024),
  SYNCWATCH_REQUEST_TIMEOUT_MS: z.coerce.number().int().positive().default(30_000),
  SYNCWATCH_HEADERS_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  SYNCWATCH_KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().positive().default(5_000),
});

const keySchema = z
  .object({
    key: z.string().min(16, 'API keys must be at least 16 characters'),
    role: z.enum(['admin', 'ingest', 'tenant']),
    tenants: z.array(z.string()).optional(),
  })
  .refine((k) => k.role !== 'tenant' || (k.tenants?.length ?? 0) > 0, {
    message: 'a tenant key must list its tenants (tenants: [acme])',
    path: ['tenants'],
  });

const flowMatch = { integration: z.string().optional(), flow: z.string().optional() };

/** Health thresholds (docs/architecture.md#health); every one configurable. */
const healthSchema = z.strictObject({
  window_hours: z.number().positive().default(24),
  degraded_failure_rate: z.number().min(0).max(1).default(0.01),
  failing_failure_rate: z.number().min(0).max(1).default(0.5),
  consecutive_failed_runs: z.number().int().positive().default(3),
  late_factor: z.number().positive().default(1),
  stale_factor: z.number().positive().default(2),
  min_cadence_seconds: z.number().int().positive().default(300),
  /** A cadence is inferred only from this many ended runs or more… */
  cadence_min_runs: z.number().int().min(2).default(5),
  /** …the latest ending at least this long after the flow was first seen; before that the flow is "learning". */
  cadence_min_span_seconds: z.number().int().nonnegative().default(1800),
  /** Configured cadences; otherwise inferred from recent run intervals. */
  cadences: z.array(z.strictObject({ ...flowMatch, seconds: z.number().int().positive() })).default([]),
});

/** Value model (docs/architecture.md#value): currency conversion and time saved. */
const valueSchema = z.strictObject({
  reporting_currency: z.string().regex(/^[A-Z]{3}$/).default('USD'),
  /** Units of the reporting currency for one unit of each other currency. */
  rates: z.record(z.string().regex(/^[A-Z]{3}$/), z.number().positive()).default({}),
  /** Convert currencies without a configured rate with the reference table (SYNCWATCH_RATES_FILE). */
  reference_rates: z.boolean().default(true),
  hourly_cost: z.number().nonnegative().default(50),
  default_minutes_per_record: z.number().nonnegative().default(2),
  minutes_per_record: z
    .array(z.strictObject({ ...flowMatch, record_type: z.string().optional(), minutes: z.number().nonnegative() }))
    .default([]),
});

/** The optional YAML file (SYNCWATCH_CONFIG): things that do not fit in environment variables. */
const fileSchema = z
  .object({
    keys: z.array(keySchema).default([]),
    health: healthSchema.default(healthSchema.parse({})),
    value: valueSchema.default(valueSchema.parse({})),
  })
  .passthrough();

export type HealthSettings = z.infer<typeof healthSchema>;
/** The health thresholds when none are configured (alert evaluation without a config uses them too). */
export const HEALTH_DEFAULTS: HealthSettings = healthSchema.parse({});
/**
 * The value model as capabilities receive it: `rates` are the effective rates (configured
 * ones, then the reference table's), `rates_info` says which came from the table.
 */
export type ValueSettings = z.infer<typeof valueSchema> & { rates_info?: RatesInfo };

const DEFAULT_RATES_FILE = './rates/reference.yaml';

/** The reference table to use: the named file (must exist), else the shipped one if present. */
function loadRateTable(file: string | undefined, wanted: boolean): RateTable | null {
  if (!wanted) return null;
  const chosen = file ?? DEFAULT_RATES_FILE;
  if (file === undefined && !existsSync(chosen)) return null;
  try {
    return readRateTable(path.resolve(chosen));
  } catch (err) {
    throw new ConfigError(`SYNCWATCH_RATES_FILE (${chosen}): ${(err as Error).message}`);
  }
}

export type ApiKeyConfig = z.infer<typeof keySchema>;

/** The one validated configuration object of a syncwatch process. */
export interface Config {
  port: number;
  host: string;
  /** OTLP/gRPC port on the same host; 0 turns the gRPC server off. */
  grpcPort: number;
  dataDir: string;
  /** `cluster`: the store is a self-managed cluster (docs/scaling.md); unset for one server or ClickHouse Cloud. */
  clickhouse: { url?: string; user?: string; password?: string; database: string; cluster?: string };
  keys: ApiKeyConfig[];
  health: HealthSettings;
  value: ValueSettings;
  alertRulesDir: string;
  smtp: { url?: string; from: string; opsEmail?: string };
  datadog: { apiKey?: string; site: string; url?: string };
  /** The PagerDuty Events API v2 endpoint (SYNCWATCH_PAGERDUTY_URL: tests, proxies, EU service region). */
  pagerduty: { url: string };
  webhookAllow: string[];
  publicUrl: string;
  /** Secret that signs page links and sessions; unset: generated once and kept in dataDir. */
  linkSecret?: string;
  role: 'all' | 'api' | 'worker';
  logLevel: string;
  ingest: {
    maxBodyBytes: number;
    batchRows: number;
    batchMs: number;
    spoolMaxBytes: number;
    /** The accepted time window of events and spans. */
    maxAgeMs: number;
    maxFutureMs: number;
    /** /readyz turns 503 when accepted rows have waited longer than this for the store. */
    readyMaxLagMs: number;
    /** Worker threads decoding request bodies off the HTTP thread (0: the HTTP thread decodes). */
    decodeThreads: number;
    /** Ingest requests (HTTP and gRPC) read, decoded or waiting for the spool at once; more get 503 / UNAVAILABLE. */
    maxInflightRequests: number;
    /** Their bodies' bytes (after gzip); a request alone is admitted whatever its size. */
    maxInflightBytes: number;
  };
  /** A client must send its headers, and its whole request, within these (else a 408 and the socket closes). */
  http: { requestTimeoutMs: number; headersTimeoutMs: number; keepAliveTimeoutMs: number };
  /** The raw YAML file sections, for capabilities that read their own (validated there). */
  file: Record<string, unknown>;
}

/** Thrown at start when configuration is invalid; the message names the variable or file path. */
export class ConfigError extends Error {}

function formatIssues(error: z.ZodError, where: string): string {
  return error.issues.map((i) => `${where}${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}

function withRates(value: z.infer<typeof valueSchema>, table: RateTable | null): ValueSettings {
  const { rates, info } = effectiveRates(value.reporting_currency, value.rates, table);
  return { ...value, rates, rates_info: info };
}

/** Parses and validates configuration from the environment and the optional YAML file. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) throw new ConfigError(`invalid configuration: ${formatIssues(parsed.error, '')}`);
  const e = parsed.data;
  if (e.CLICKHOUSE_CLUSTER && !e.CLICKHOUSE_URL) throw new ConfigError('CLICKHOUSE_CLUSTER needs CLICKHOUSE_URL: the embedded store is one process');

  let file = fileSchema.parse({});
  if (e.SYNCWATCH_CONFIG) {
    let raw: unknown;
    try {
      raw = parseYaml(readFileSync(e.SYNCWATCH_CONFIG, 'utf8')) ?? {};
    } catch (err) {
      throw new ConfigError(`SYNCWATCH_CONFIG (${e.SYNCWATCH_CONFIG}): ${(err as Error).message}`);
    }
    const f = fileSchema.safeParse(raw);
    if (!f.success) throw new ConfigError(`SYNCWATCH_CONFIG (${e.SYNCWATCH_CONFIG}): ${formatIssues(f.error, '')}`);
    file = f.data;
  }

  const keys: ApiKeyConfig[] = [...file.keys];
  if (e.SYNCWATCH_ADMIN_KEY) keys.push({ key: e.SYNCWATCH_ADMIN_KEY, role: 'admin' });
  if (e.SYNCWATCH_INGEST_KEY) keys.push({ key: e.SYNCWATCH_INGEST_KEY, role: 'ingest' });

  return {
    port: e.PORT,
    host: e.HOST,
    grpcPort: e.SYNCWATCH_GRPC_PORT,
    dataDir: path.resolve(e.SYNCWATCH_DATA_DIR),
    clickhouse: {
      url: e.CLICKHOUSE_URL,
      user: e.CLICKHOUSE_USER,
      password: e.CLICKHOUSE_PASSWORD,
      database: e.CLICKHOUSE_DATABASE ?? 'default',
      cluster: e.CLICKHOUSE_CLUSTER,
    },
    keys,
    health: file.health,
    value: withRates(file.value, loadRateTable(e.SYNCWATCH_RATES_FILE, file.value.reference_rates)),
    alertRulesDir: path.resolve(e.SYNCWATCH_ALERT_RULES),
    smtp: { url: e.SMTP_URL, from: e.SYNCWATCH_EMAIL_FROM ?? 'syncwatch@localhost', opsEmail: e.SYNCWATCH_OPS_EMAIL },
    datadog: { apiKey: e.DD_API_KEY, site: e.DD_SITE, url: e.SYNCWATCH_DATADOG_URL },
    pagerduty: { url: e.SYNCWATCH_PAGERDUTY_URL },
    webhookAllow: e.SYNCWATCH_WEBHOOK_ALLOW.split(',').map((s) => s.trim()).filter(Boolean),
    publicUrl: e.SYNCWATCH_PUBLIC_URL.replace(/\/$/, ''),
    linkSecret: e.SYNCWATCH_LINK_SECRET,
    role: e.SYNCWATCH_ROLE,
    logLevel: e.SYNCWATCH_LOG_LEVEL,
    ingest: {
      maxBodyBytes: e.SYNCWATCH_MAX_BODY_BYTES,
      batchRows: e.SYNCWATCH_BATCH_ROWS,
      batchMs: e.SYNCWATCH_BATCH_MS,
      spoolMaxBytes: e.SYNCWATCH_SPOOL_MAX_BYTES,
      maxAgeMs: e.SYNCWATCH_INGEST_MAX_AGE_DAYS * 24 * 3600 * 1000,
      maxFutureMs: e.SYNCWATCH_INGEST_MAX_FUTURE_HOURS * 3600 * 1000,
      readyMaxLagMs: e.SYNCWATCH_READY_MAX_LAG_SECONDS * 1000,
      decodeThreads: e.SYNCWATCH_DECODE_THREADS,
      maxInflightRequests: e.SYNCWATCH_MAX_INFLIGHT_REQUESTS,
      maxInflightBytes: e.SYNCWATCH_MAX_INFLIGHT_BYTES,
    },
    http: {
      requestTimeoutMs: e.SYNCWATCH_REQUEST_TIMEOUT_MS,
      // Node requires headersTimeout <= requestTimeout.
      headersTimeoutMs: Math.min(e.SYNCWATCH_HEADERS_TIMEOUT_MS, e.SYNCWATCH_REQUEST_TIMEOUT_MS),
      keepAliveTimeoutMs: e.SYNCWATCH_KEEP_ALIVE_TIMEOUT_MS,
    },
    file,
  };
}
