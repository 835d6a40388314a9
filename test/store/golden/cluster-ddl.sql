-- schema_migrations
CREATE TABLE IF NOT EXISTS schema_migrations_local ON CLUSTER syncwatch (
       version UInt32, name String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
     ) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/syncwatch/schema_migrations_local', '{replica}') ORDER BY version;

CREATE TABLE IF NOT EXISTS schema_migrations ON CLUSTER syncwatch AS schema_migrations_local
ENGINE = Distributed(syncwatch, syncwatch, schema_migrations_local, cityHash64(version));

-- 001_create_otel_traces
CREATE TABLE IF NOT EXISTS otel_traces_local ON CLUSTER syncwatch (
    Timestamp DateTime64(9) CODEC(Delta, ZSTD(1)),
    TraceId String CODEC(ZSTD(1)),
    SpanId String CODEC(ZSTD(1)),
    ParentSpanId String CODEC(ZSTD(1)),
    TraceState String CODEC(ZSTD(1)),
    SpanName LowCardinality(String) CODEC(ZSTD(1)),
    SpanKind LowCardinality(String) CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ScopeName String CODEC(ZSTD(1)),
    ScopeVersion String CODEC(ZSTD(1)),
    SpanAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    Duration UInt64 CODEC(ZSTD(1)),
    StatusCode LowCardinality(String) CODEC(ZSTD(1)),
    StatusMessage String CODEC(ZSTD(1)),
    Events Nested (
        Timestamp DateTime64(9),
        Name LowCardinality(String),
        Attributes Map(LowCardinality(String), String)
    ) CODEC(ZSTD(1)),
    Links Nested (
        TraceId String,
        SpanId String,
        TraceState String,
        Attributes Map(LowCardinality(String), String)
    ) CODEC(ZSTD(1)),
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_span_attr_key mapKeys(SpanAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_duration Duration TYPE minmax GRANULARITY 1
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/syncwatch/otel_traces_local', '{replica}')
PARTITION BY toDate(Timestamp)
ORDER BY (ServiceName, SpanName, toDateTime(Timestamp))
TTL toDateTime(Timestamp) + toIntervalDay(180)
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;

CREATE TABLE IF NOT EXISTS otel_traces ON CLUSTER syncwatch AS otel_traces_local
ENGINE = Distributed(syncwatch, syncwatch, otel_traces_local, cityHash64(TraceId));

-- 002_create_events
CREATE TABLE IF NOT EXISTS events_local ON CLUSTER syncwatch (
    event_id String,
    type LowCardinality(String),
    ts DateTime64(3, 'UTC'),
    received_at DateTime64(3, 'UTC'),
    tenant LowCardinality(String),
    integration LowCardinality(String),
    connection String,
    flow LowCardinality(String),
    run String,
    record_id String,
    record_type LowCardinality(String),
    record_value Float64,
    has_value UInt8,
    currency LowCardinality(String),
    failure_category LowCardinality(String),
    failure_code LowCardinality(String),
    message String,
    http_status UInt16,
    records_total UInt32,
    duration_ms UInt64,
    attributes Map(String, String),
    source LowCardinality(String),
    INDEX idx_run run TYPE bloom_filter(0.01) GRANULARITY 4,
    INDEX idx_record record_id TYPE bloom_filter(0.01) GRANULARITY 4
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/syncwatch/events_local', '{replica}')
PARTITION BY toYYYYMM(ts)
ORDER BY (tenant, integration, flow, ts, event_id)
TTL toDateTime(ts) + toIntervalDay(400);

CREATE TABLE IF NOT EXISTS events ON CLUSTER syncwatch AS events_local
ENGINE = Distributed(syncwatch, syncwatch, events_local, cityHash64(tenant));

-- 003_create_event_ids
CREATE TABLE IF NOT EXISTS event_ids_local ON CLUSTER syncwatch (
    event_id String,
    tenant LowCardinality(String),
    received_at DateTime64(3, 'UTC')
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/syncwatch/event_ids_local', '{replica}')
ORDER BY (event_id, tenant)
TTL toDateTime(received_at) + toIntervalDay(90);

CREATE TABLE IF NOT EXISTS event_ids ON CLUSTER syncwatch AS event_ids_local
ENGINE = Distributed(syncwatch, syncwatch, event_ids_local, cityHash64(tenant));

-- 004_create_record_attempts
CREATE TABLE IF NOT EXISTS record_attempts_local ON CLUSTER syncwatch (
    tenant LowCardinality(String),
    record_id String,
    integration LowCardinality(String),
    connection String,
    flow LowCardinality(String),
    ts DateTime64(3, 'UTC'),
    run String,
    status LowCardinality(String),
    record_type LowCardinality(String),
    record_value Float64,
    has_value UInt8,
    currency LowCardinality(String),
    failure_category LowCardinality(String),
    failure_code LowCardinality(String),
    message String,
    event_id String
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/syncwatch/record_attempts_local', '{replica}')
PARTITION BY toYYYYMM(ts)
ORDER BY (tenant, record_id, integration, ts, event_id)
TTL toDateTime(ts) + toIntervalDay(400);

CREATE TABLE IF NOT EXISTS record_attempts ON CLUSTER syncwatch AS record_attempts_local
ENGINE = Distributed(syncwatch, syncwatch, record_attempts_local, cityHash64(tenant));

CREATE MATERIALIZED VIEW IF NOT EXISTS record_attempts_mv ON CLUSTER syncwatch TO record_attempts_local AS
SELECT
    tenant, record_id, integration, connection, flow, ts, run,
    replaceOne(type, 'record.', '') AS status,
    record_type, record_value, has_value, currency,
    failure_category, failure_code, message, event_id
FROM events_local
WHERE type IN ('record.synced', 'record.failed', 'record.skipped');

-- 005_create_runs
CREATE TABLE IF NOT EXISTS runs_local ON CLUSTER syncwatch (
    tenant LowCardinality(String),
    run String,
    integration LowCardinality(String),
    connection String,
    flow LowCardinality(String),
    first_seen_at SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
    last_seen_at SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
    started_at SimpleAggregateFunction(min, Nullable(DateTime64(3, 'UTC'))),
    ended_at SimpleAggregateFunction(max, Nullable(DateTime64(3, 'UTC'))),
    outcome AggregateFunction(argMaxIf, Tuple(String, String, String, String), Tuple(DateTime64(3, 'UTC'), String), UInt8),
    records_total SimpleAggregateFunction(max, UInt32),
    records_synced SimpleAggregateFunction(sum, UInt64),
    records_failed SimpleAggregateFunction(sum, UInt64),
    records_skipped SimpleAggregateFunction(sum, UInt64),
    failures_infra SimpleAggregateFunction(sum, UInt64),
    failures_endpoint SimpleAggregateFunction(sum, UInt64),
    failures_data SimpleAggregateFunction(sum, UInt64)
) ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/syncwatch/runs_local', '{replica}')
PARTITION BY toYYYYMM(last_seen_at)
ORDER BY (tenant, run, integration, connection, flow)
TTL toDateTime(last_seen_at) + toIntervalDay(400);

CREATE TABLE IF NOT EXISTS runs ON CLUSTER syncwatch AS runs_local
ENGINE = Distributed(syncwatch, syncwatch, runs_local, cityHash64(tenant));

CREATE MATERIALIZED VIEW IF NOT EXISTS runs_mv ON CLUSTER syncwatch TO runs_local AS
SELECT
    tenant, run, integration, connection, flow,
    min(ts) AS first_seen_at,
    max(ts) AS last_seen_at,
    minOrNullIf(ts, type = 'run.started') AS started_at,
    maxOrNullIf(ts, type IN ('run.succeeded', 'run.failed')) AS ended_at,
    argMaxIfState(
        (replaceOne(type, 'run.', ''), toString(failure_category), toString(failure_code), message),
        (ts, event_id),
        type IN ('run.succeeded', 'run.failed')) AS outcome,
    max(records_total) AS records_total,
    countIf(type = 'record.synced') AS records_synced,
    countIf(type = 'record.failed') AS records_failed,
    countIf(type = 'record.skipped') AS records_skipped,
    countIf(type IN ('run.failed', 'record.failed') AND failure_category = 'infra') AS failures_infra,
    countIf(type IN ('run.failed', 'record.failed') AND failure_category = 'endpoint') AS failures_endpoint,
    countIf(type IN ('run.failed', 'record.failed') AND failure_category = 'data') AS failures_data
FROM events_local
WHERE run != '' AND (type LIKE 'run.%' OR type LIKE 'record.%')
GROUP BY tenant, run, integration, connection, flow;

INSERT INTO runs
SELECT
    tenant, run, integration, connection, flow,
    min(ts), max(ts),
    minOrNullIf(ts, type = 'run.started'),
    maxOrNullIf(ts, type IN ('run.succeeded', 'run.failed')),
    argMaxIfState(
        (replaceOne(type, 'run.', ''), toString(failure_category), toString(failure_code), message),
        (ts, event_id),
        type IN ('run.succeeded', 'run.failed')),
    max(records_total),
    countIf(type = 'record.synced'),
    countIf(type = 'record.failed'),
    countIf(type = 'record.skipped'),
    countIf(type IN ('run.failed', 'record.failed') AND failure_category = 'infra'),
    countIf(type IN ('run.failed', 'record.failed') AND failure_category = 'endpoint'),
    countIf(type IN ('run.failed', 'record.failed') AND failure_category = 'data')
FROM events
WHERE run != '' AND (type LIKE 'run.%' OR type LIKE 'record.%') AND (SELECT count() FROM runs) = 0
GROUP BY tenant, run, integration, connection, flow;

-- 006_create_flow_stats
CREATE TABLE IF NOT EXISTS flow_stats_local ON CLUSTER syncwatch (
    tenant LowCardinality(String),
    integration LowCardinality(String),
    connection String,
    flow LowCardinality(String),
    hour DateTime('UTC'),
    runs_total SimpleAggregateFunction(sum, UInt64),
    runs_succeeded SimpleAggregateFunction(sum, UInt64),
    runs_failed SimpleAggregateFunction(sum, UInt64),
    records_synced SimpleAggregateFunction(sum, UInt64),
    records_failed SimpleAggregateFunction(sum, UInt64),
    records_skipped SimpleAggregateFunction(sum, UInt64),
    failures_infra SimpleAggregateFunction(sum, UInt64),
    failures_endpoint SimpleAggregateFunction(sum, UInt64),
    failures_data SimpleAggregateFunction(sum, UInt64),
    failure_codes SimpleAggregateFunction(sumMap, Map(String, UInt64))
) ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/syncwatch/flow_stats_local', '{replica}')
PARTITION BY toYYYYMM(hour)
ORDER BY (tenant, integration, flow, connection, hour)
TTL hour + toIntervalDay(400);

CREATE TABLE IF NOT EXISTS flow_stats ON CLUSTER syncwatch AS flow_stats_local
ENGINE = Distributed(syncwatch, syncwatch, flow_stats_local, cityHash64(tenant));

CREATE MATERIALIZED VIEW IF NOT EXISTS flow_stats_mv ON CLUSTER syncwatch TO flow_stats_local AS
SELECT
    tenant, integration, connection, flow,
    toStartOfHour(ts) AS hour,
    countIf(type IN ('run.succeeded', 'run.failed')) AS runs_total,
    countIf(type = 'run.succeeded') AS runs_succeeded,
    countIf(type = 'run.failed') AS runs_failed,
    countIf(type = 'record.synced') AS records_synced,
    countIf(type = 'record.failed') AS records_failed,
    countIf(type = 'record.skipped') AS records_skipped,
    countIf(type IN ('run.failed', 'record.failed') AND failure_category = 'infra') AS failures_infra,
    countIf(type IN ('run.failed', 'record.failed') AND failure_category = 'endpoint') AS failures_endpoint,
    countIf(type IN ('run.failed', 'record.failed') AND failure_category = 'data') AS failures_data,
    sumMapIf(map(concat(toString(failure_category), '.', toString(failure_code)), toUInt64(1)), type IN ('run.failed', 'record.failed')) AS failure_codes
FROM events_local
WHERE type IN ('run.succeeded', 'run.failed', 'record.synced', 'record.failed', 'record.skipped')
GROUP BY tenant, integration, connection, flow, hour;

INSERT INTO flow_stats
SELECT
    tenant, integration, connection, flow,
    toStartOfHour(ts) AS hour,
    countIf(type IN ('run.succeeded', 'run.failed')),
    countIf(type = 'run.succeeded'),
    countIf(type = 'run.failed'),
    countIf(type = 'record.synced'),
    countIf(type = 'record.failed'),
    countIf(type = 'record.skipped'),
    countIf(type IN ('run.failed', 'record.failed') AND failure_category = 'infra'),
    countIf(type IN ('run.failed', 'record.failed') AND failure_category = 'endpoint'),
    countIf(type IN ('run.failed', 'record.failed') AND failure_category = 'data'),
    sumMapIf(map(concat(toString(failure_category), '.', toString(failure_code)), toUInt64(1)), type IN ('run.failed', 'record.failed'))
FROM events
WHERE type IN ('run.succeeded', 'run.failed', 'record.synced', 'record.failed', 'record.skipped')
  AND (SELECT count() FROM flow_stats) = 0
GROUP BY tenant, integration, connection, flow, hour;

-- 007_create_connection_state
CREATE TABLE IF NOT EXISTS connection_state_local ON CLUSTER syncwatch (
    tenant LowCardinality(String),
    integration LowCardinality(String),
    connection String,
    lifecycle AggregateFunction(argMaxIf, Tuple(String, DateTime64(3, 'UTC')), Tuple(DateTime64(3, 'UTC'), String), UInt8),
    auth AggregateFunction(argMaxIf, Tuple(String, DateTime64(3, 'UTC')), Tuple(DateTime64(3, 'UTC'), String), UInt8)
) ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/syncwatch/connection_state_local', '{replica}')
ORDER BY (tenant, integration, connection);

CREATE TABLE IF NOT EXISTS connection_state ON CLUSTER syncwatch AS connection_state_local
ENGINE = Distributed(syncwatch, syncwatch, connection_state_local, cityHash64(tenant));

CREATE MATERIALIZED VIEW IF NOT EXISTS connection_state_mv ON CLUSTER syncwatch TO connection_state_local AS
SELECT
    tenant, integration, connection,
    argMaxIfState((toString(type), ts), (ts, event_id),
        type IN ('integration.enabled', 'integration.disabled', 'integration.uninstalled')) AS lifecycle,
    argMaxIfState((toString(type), ts), (ts, event_id),
        type IN ('auth.expired', 'auth.refreshed', 'integration.authorized')) AS auth
FROM events_local
WHERE type IN ('integration.enabled', 'integration.disabled', 'integration.uninstalled',
               'auth.expired', 'auth.refreshed', 'integration.authorized')
GROUP BY tenant, integration, connection;

INSERT INTO connection_state
SELECT
    tenant, integration, connection,
    argMaxIfState((toString(type), ts), (ts, event_id),
        type IN ('integration.enabled', 'integration.disabled', 'integration.uninstalled')),
    argMaxIfState((toString(type), ts), (ts, event_id),
        type IN ('auth.expired', 'auth.refreshed', 'integration.authorized'))
FROM events
WHERE type IN ('integration.enabled', 'integration.disabled', 'integration.uninstalled',
               'auth.expired', 'auth.refreshed', 'integration.authorized')
  AND (SELECT count() FROM connection_state) = 0
GROUP BY tenant, integration, connection;

CREATE TABLE IF NOT EXISTS flow_state_local ON CLUSTER syncwatch (
    tenant LowCardinality(String),
    integration LowCardinality(String),
    connection String,
    flow LowCardinality(String),
    first_seen_at SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
    last_run_at SimpleAggregateFunction(max, Nullable(DateTime64(3, 'UTC'))),
    last_success_at SimpleAggregateFunction(max, Nullable(DateTime64(3, 'UTC'))),
    recent_runs AggregateFunction(groupArraySortedIf(20), Tuple(Int64, String, String, String, String, String), UInt8),
    last_record AggregateFunction(argMaxIf, Tuple(String, String, String, String), Tuple(DateTime64(3, 'UTC'), String), UInt8)
) ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/syncwatch/flow_state_local', '{replica}')
ORDER BY (tenant, integration, connection, flow);

CREATE TABLE IF NOT EXISTS flow_state ON CLUSTER syncwatch AS flow_state_local
ENGINE = Distributed(syncwatch, syncwatch, flow_state_local, cityHash64(tenant));

CREATE MATERIALIZED VIEW IF NOT EXISTS flow_state_mv ON CLUSTER syncwatch TO flow_state_local AS
SELECT
    tenant, integration, connection, flow,
    min(ts) AS first_seen_at,
    maxOrNullIf(ts, type LIKE 'run.%') AS last_run_at,
    maxOrNullIf(ts, type = 'run.succeeded') AS last_success_at,
    groupArraySortedIfState(20)(
        (-toUnixTimestamp64Milli(ts), run, replaceOne(type, 'run.', ''), toString(failure_category), toString(failure_code), substringUTF8(message, 1, 200)),
        type IN ('run.succeeded', 'run.failed')) AS recent_runs,
    argMaxIfState((replaceOne(type, 'record.', ''), toString(failure_category), toString(failure_code), substringUTF8(message, 1, 200)), (ts, event_id),
        type LIKE 'record.%') AS last_record
FROM events_local
WHERE type LIKE 'run.%' OR type LIKE 'record.%'
GROUP BY tenant, integration, connection, flow;

INSERT INTO flow_state
SELECT
    tenant, integration, connection, flow,
    min(ts),
    maxOrNullIf(ts, type LIKE 'run.%'),
    maxOrNullIf(ts, type = 'run.succeeded'),
    groupArraySortedIfState(20)(
        (-toUnixTimestamp64Milli(ts), run, replaceOne(type, 'run.', ''), toString(failure_category), toString(failure_code), substringUTF8(message, 1, 200)),
        type IN ('run.succeeded', 'run.failed')),
    argMaxIfState((replaceOne(type, 'record.', ''), toString(failure_category), toString(failure_code), substringUTF8(message, 1, 200)), (ts, event_id),
        type LIKE 'record.%')
FROM events
WHERE (type LIKE 'run.%' OR type LIKE 'record.%') AND (SELECT count() FROM flow_state) = 0
GROUP BY tenant, integration, connection, flow;

-- 008_create_failure_stats
CREATE TABLE IF NOT EXISTS failure_stats_local ON CLUSTER syncwatch (
    tenant LowCardinality(String),
    integration LowCardinality(String),
    flow LowCardinality(String),
    failure_category LowCardinality(String),
    failure_code LowCardinality(String),
    scope LowCardinality(String),
    hour DateTime('UTC'),
    failures SimpleAggregateFunction(sum, UInt64),
    affected AggregateFunction(uniqExact, String),
    first_seen SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
    last_seen SimpleAggregateFunction(max, DateTime64(3, 'UTC')),

    examples AggregateFunction(groupArraySorted(10), Tuple(Int64, String, String, String))
) ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/syncwatch/failure_stats_local', '{replica}')
PARTITION BY toYYYYMM(hour)
ORDER BY (tenant, hour, integration, flow, failure_category, failure_code, scope)
TTL hour + toIntervalDay(400)
SETTINGS index_granularity = 1024;

CREATE TABLE IF NOT EXISTS failure_stats ON CLUSTER syncwatch AS failure_stats_local
ENGINE = Distributed(syncwatch, syncwatch, failure_stats_local, cityHash64(tenant));

CREATE MATERIALIZED VIEW IF NOT EXISTS failure_stats_mv ON CLUSTER syncwatch TO failure_stats_local AS
SELECT
    tenant, integration, flow, failure_category, failure_code,
    if(record_id = '', 'run', 'record') AS scope,
    toStartOfHour(ts) AS hour,
    count() AS failures,
    uniqExactState(concat(tenant, '\0', integration, '\0', if(record_id = '', run, record_id))) AS affected,
    min(ts) AS first_seen,
    max(ts) AS last_seen,
    groupArraySortedState(10)((-toUnixTimestamp64Milli(ts), record_id, substringUTF8(message, 1, 500), run)) AS examples
FROM events_local
WHERE failure_category != ''
GROUP BY tenant, integration, flow, failure_category, failure_code, scope, hour;

INSERT INTO failure_stats
SELECT
    tenant, integration, flow, failure_category, failure_code,
    if(record_id = '', 'run', 'record') AS scope,
    toStartOfHour(ts) AS hour,
    count() AS failures,
    uniqExactState(concat(tenant, '\0', integration, '\0', if(record_id = '', run, record_id))) AS affected,
    min(ts) AS first_seen,
    max(ts) AS last_seen,
    groupArraySortedState(10)((-toUnixTimestamp64Milli(ts), record_id, substringUTF8(message, 1, 500), run)) AS examples
FROM events FINAL
WHERE failure_category != '' AND (SELECT count() FROM failure_stats) = 0
GROUP BY tenant, integration, flow, failure_category, failure_code, scope, hour;

CREATE TABLE IF NOT EXISTS failure_log_local ON CLUSTER syncwatch (
    hour DateTime('UTC'),
    tenant LowCardinality(String),
    integration LowCardinality(String),
    flow LowCardinality(String),
    failure_category LowCardinality(String),
    failure_code LowCardinality(String),
    ts DateTime64(3, 'UTC'),
    record_id String,
    run String,
    message String
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/syncwatch/failure_log_local', '{replica}')
PARTITION BY toYYYYMM(hour)
ORDER BY (hour, tenant, integration, flow, failure_category, failure_code, ts)
TTL hour + toIntervalDay(400);

CREATE TABLE IF NOT EXISTS failure_log ON CLUSTER syncwatch AS failure_log_local
ENGINE = Distributed(syncwatch, syncwatch, failure_log_local, cityHash64(tenant));

CREATE MATERIALIZED VIEW IF NOT EXISTS failure_log_mv ON CLUSTER syncwatch TO failure_log_local AS
SELECT
    toStartOfHour(ts) AS hour, tenant, integration, flow, failure_category, failure_code,
    ts, record_id, run, substringUTF8(message, 1, 500) AS message
FROM events_local
WHERE failure_category != '';

INSERT INTO failure_log
SELECT
    toStartOfHour(ts) AS hour, tenant, integration, flow, failure_category, failure_code,
    ts, record_id, run, substringUTF8(message, 1, 500) AS message
FROM events FINAL
WHERE failure_category != '' AND (SELECT count() FROM failure_log) = 0;

-- 009_create_value_stats
CREATE TABLE IF NOT EXISTS value_stats_local ON CLUSTER syncwatch (
    tenant LowCardinality(String),
    integration LowCardinality(String),
    flow LowCardinality(String),
    record_type LowCardinality(String),
    currency LowCardinality(String),
    day Date,
    synced SimpleAggregateFunction(sum, UInt64),
    synced_value SimpleAggregateFunction(sum, Decimal128(6)),
    failed SimpleAggregateFunction(sum, UInt64),
    skipped SimpleAggregateFunction(sum, UInt64)
) ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/syncwatch/value_stats_local', '{replica}')
PARTITION BY toYear(day)
ORDER BY (tenant, integration, flow, record_type, currency, day)
TTL day + toIntervalDay(400);

CREATE TABLE IF NOT EXISTS value_stats ON CLUSTER syncwatch AS value_stats_local
ENGINE = Distributed(syncwatch, syncwatch, value_stats_local, cityHash64(tenant));

CREATE MATERIALIZED VIEW IF NOT EXISTS value_stats_mv ON CLUSTER syncwatch TO value_stats_local AS
SELECT
    tenant, integration, flow, record_type, currency,
    toDate(ts) AS day,
    countIf(type = 'record.synced') AS synced,
    sumIf(toDecimal128(if(abs(record_value) < 1e18, record_value, 0), 6), type = 'record.synced') AS synced_value,
    countIf(type = 'record.failed') AS failed,
    countIf(type = 'record.skipped') AS skipped
FROM events_local
WHERE type IN ('record.synced', 'record.failed', 'record.skipped')
GROUP BY tenant, integration, flow, record_type, currency, day;

INSERT INTO value_stats
SELECT
    tenant, integration, flow, record_type, currency,
    toDate(ts) AS day,
    countIf(type = 'record.synced') AS synced,
    sumIf(toDecimal128(if(abs(record_value) < 1e18, record_value, 0), 6), type = 'record.synced') AS synced_value,
    countIf(type = 'record.failed') AS failed,
    countIf(type = 'record.skipped') AS skipped
FROM events FINAL
WHERE type IN ('record.synced', 'record.failed', 'record.skipped') AND (SELECT count() FROM value_stats) = 0
GROUP BY tenant, integration, flow, record_type, currency, day;

-- 010_create_record_latest
CREATE TABLE IF NOT EXISTS record_latest_local ON CLUSTER syncwatch (
    tenant LowCardinality(String),
    integration LowCardinality(String),
    record_id String,
    first_failed_at SimpleAggregateFunction(min, Nullable(DateTime64(3, 'UTC'))),
    last_failed_at SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
    last_synced_at SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
    last_failure SimpleAggregateFunction(max, String)
) ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/syncwatch/record_latest_local', '{replica}')
ORDER BY (tenant, integration, record_id)
TTL toDateTime(greatest(last_failed_at, last_synced_at)) + toIntervalDay(400);

CREATE TABLE IF NOT EXISTS record_latest ON CLUSTER syncwatch AS record_latest_local
ENGINE = Distributed(syncwatch, syncwatch, record_latest_local, cityHash64(tenant));

CREATE MATERIALIZED VIEW IF NOT EXISTS record_latest_mv ON CLUSTER syncwatch TO record_latest_local AS
SELECT
    tenant, integration, record_id,
    if(type = 'record.failed', toNullable(ts), NULL) AS first_failed_at,
    if(type = 'record.failed', ts, toDateTime64(0, 3, 'UTC')) AS last_failed_at,
    if(type = 'record.synced', ts, toDateTime64(0, 3, 'UTC')) AS last_synced_at,
    if(type = 'record.failed',
       concat(toString(ts), event_id, '\0', flow, '\0', currency, '\0', toString(has_value), '\0', toString(record_value)),
       '') AS last_failure
FROM events_local
WHERE type IN ('record.synced', 'record.failed');

INSERT INTO record_latest
SELECT
    tenant, integration, record_id,
    if(type = 'record.failed', toNullable(ts), NULL) AS first_failed_at,
    if(type = 'record.failed', ts, toDateTime64(0, 3, 'UTC')) AS last_failed_at,
    if(type = 'record.synced', ts, toDateTime64(0, 3, 'UTC')) AS last_synced_at,
    if(type = 'record.failed',
       concat(toString(ts), event_id, '\0', flow, '\0', currency, '\0', toString(has_value), '\0', toString(record_value)),
       '') AS last_failure
FROM events
WHERE type IN ('record.synced', 'record.failed') AND (SELECT count() FROM record_latest) = 0;

-- 011_create_adoption_lifecycle
CREATE TABLE IF NOT EXISTS adoption_lifecycle_local ON CLUSTER syncwatch (
    integration LowCardinality(String),
    tenant LowCardinality(String),
    connection String,
    ts DateTime64(3, 'UTC'),
    type LowCardinality(String),
    event_id String
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/syncwatch/adoption_lifecycle_local', '{replica}')
ORDER BY (integration, tenant, connection, ts, event_id);

CREATE TABLE IF NOT EXISTS adoption_lifecycle ON CLUSTER syncwatch AS adoption_lifecycle_local
ENGINE = Distributed(syncwatch, syncwatch, adoption_lifecycle_local, cityHash64(tenant));

CREATE MATERIALIZED VIEW IF NOT EXISTS adoption_lifecycle_mv ON CLUSTER syncwatch TO adoption_lifecycle_local AS
SELECT integration, tenant, connection, ts, type, event_id
FROM events_local
WHERE type LIKE 'integration.%';

INSERT INTO adoption_lifecycle
SELECT integration, tenant, connection, ts, type, event_id
FROM events
WHERE type LIKE 'integration.%' AND (SELECT count() FROM adoption_lifecycle) = 0;

CREATE TABLE IF NOT EXISTS adoption_first_success_local ON CLUSTER syncwatch (
    integration LowCardinality(String),
    tenant LowCardinality(String),
    connection String,
    first_success_at SimpleAggregateFunction(min, DateTime64(3, 'UTC'))
) ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/syncwatch/adoption_first_success_local', '{replica}')
ORDER BY (integration, tenant, connection);

CREATE TABLE IF NOT EXISTS adoption_first_success ON CLUSTER syncwatch AS adoption_first_success_local
ENGINE = Distributed(syncwatch, syncwatch, adoption_first_success_local, cityHash64(tenant));

CREATE MATERIALIZED VIEW IF NOT EXISTS adoption_first_success_mv ON CLUSTER syncwatch TO adoption_first_success_local AS
SELECT integration, tenant, connection, min(ts) AS first_success_at
FROM events_local
WHERE type = 'run.succeeded'
GROUP BY integration, tenant, connection;

INSERT INTO adoption_first_success
SELECT integration, tenant, connection, min(ts) AS first_success_at
FROM events
WHERE type = 'run.succeeded' AND (SELECT count() FROM adoption_first_success) = 0
GROUP BY integration, tenant, connection;

-- 012_create_adoption_activity
CREATE TABLE IF NOT EXISTS adoption_active_daily_local ON CLUSTER syncwatch (
    integration LowCardinality(String),
    day Date,
    tenant LowCardinality(String),
    connection String,
    runs SimpleAggregateFunction(sum, UInt64),
    first_success_at SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
    last_success_at SimpleAggregateFunction(max, DateTime64(3, 'UTC'))
) ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/syncwatch/adoption_active_daily_local', '{replica}')
PARTITION BY toYYYYMM(day)
ORDER BY (integration, day, tenant, connection)
TTL day + toIntervalDay(400);

CREATE TABLE IF NOT EXISTS adoption_active_daily ON CLUSTER syncwatch AS adoption_active_daily_local
ENGINE = Distributed(syncwatch, syncwatch, adoption_active_daily_local, cityHash64(tenant));

CREATE MATERIALIZED VIEW IF NOT EXISTS adoption_active_daily_mv ON CLUSTER syncwatch TO adoption_active_daily_local AS
SELECT integration, toDate(ts) AS day, tenant, connection,
       count() AS runs, min(ts) AS first_success_at, max(ts) AS last_success_at
FROM events_local
WHERE type = 'run.succeeded'
GROUP BY integration, day, tenant, connection;

INSERT INTO adoption_active_daily
SELECT integration, toDate(ts) AS day, tenant, connection,
       count() AS runs, min(ts) AS first_success_at, max(ts) AS last_success_at
FROM events
WHERE type = 'run.succeeded' AND (SELECT count() FROM adoption_active_daily) = 0
GROUP BY integration, day, tenant, connection;

CREATE TABLE IF NOT EXISTS adoption_moved_hourly_local ON CLUSTER syncwatch (
    integration LowCardinality(String),
    hour DateTime('UTC'),
    currency LowCardinality(String),
    records UInt64,
    value_micros Int64
) ENGINE = ReplicatedSummingMergeTree('/clickhouse/tables/{shard}/syncwatch/adoption_moved_hourly_local', '{replica}')
PARTITION BY toYYYYMM(hour)
ORDER BY (integration, hour, currency)
TTL hour + toIntervalDay(400);

CREATE TABLE IF NOT EXISTS adoption_moved_hourly ON CLUSTER syncwatch AS adoption_moved_hourly_local
ENGINE = Distributed(syncwatch, syncwatch, adoption_moved_hourly_local, cityHash64(integration));

CREATE MATERIALIZED VIEW IF NOT EXISTS adoption_moved_hourly_mv ON CLUSTER syncwatch TO adoption_moved_hourly_local AS
SELECT integration, toStartOfHour(ts) AS hour, currency,
       count() AS records, sum(toInt64(round(record_value * 1000000))) AS value_micros
FROM events_local
WHERE type = 'record.synced'
GROUP BY integration, hour, currency;

INSERT INTO adoption_moved_hourly
SELECT integration, toStartOfHour(ts) AS hour, currency,
       count() AS records, sum(toInt64(round(record_value * 1000000))) AS value_micros
FROM events
WHERE type = 'record.synced' AND (SELECT count() FROM adoption_moved_hourly) = 0
GROUP BY integration, hour, currency;

-- 013_create_notification_outbox
CREATE TABLE IF NOT EXISTS notification_outbox_local ON CLUSTER syncwatch (
    delivery_id String,
    message_id String,
    message_type LowCardinality(String),
    tenant String,
    audience LowCardinality(String),
    channel LowCardinality(String),
    target String,
    message String,
    status LowCardinality(String),
    attempts UInt32,
    next_attempt_at DateTime64(3, 'UTC'),
    last_status UInt16,
    last_error String,
    created_at DateTime64(3, 'UTC'),
    updated_at DateTime64(3, 'UTC'),
    version UInt64
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/syncwatch/notification_outbox_local', '{replica}', version)
ORDER BY delivery_id
TTL toDateTime(updated_at) + toIntervalDay(90);

CREATE TABLE IF NOT EXISTS notification_outbox ON CLUSTER syncwatch AS notification_outbox_local
ENGINE = Distributed(syncwatch, syncwatch, notification_outbox_local, cityHash64(tenant));

-- 014_create_notification_attempts
CREATE TABLE IF NOT EXISTS notification_attempts_local ON CLUSTER syncwatch (
    delivery_id String,
    attempt UInt32,
    at DateTime64(3, 'UTC'),
    status_code UInt16,
    ok UInt8,
    retryable UInt8,
    error String,
    duration_ms UInt32
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/syncwatch/notification_attempts_local', '{replica}')
PARTITION BY toYYYYMM(at)
ORDER BY (delivery_id, attempt)
TTL toDateTime(at) + toIntervalDay(90);

CREATE TABLE IF NOT EXISTS notification_attempts ON CLUSTER syncwatch AS notification_attempts_local
ENGINE = Distributed(syncwatch, syncwatch, notification_attempts_local, cityHash64(delivery_id));

-- 015_create_alert_state
CREATE TABLE IF NOT EXISTS alert_state_local ON CLUSTER syncwatch (
    fingerprint String,
    rule LowCardinality(String),
    tenant LowCardinality(String),
    integration LowCardinality(String),
    flow LowCardinality(String),
    severity LowCardinality(String),
    category LowCardinality(String),
    status LowCardinality(String),
    fired_at Nullable(DateTime64(3, 'UTC')),
    resolved_at Nullable(DateTime64(3, 'UTC')),
    updated_at DateTime64(3, 'UTC'),
    alert String,
    version UInt64
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/syncwatch/alert_state_local', '{replica}', version)
ORDER BY fingerprint
TTL toDateTime(updated_at) + toIntervalDay(90);

CREATE TABLE IF NOT EXISTS alert_state ON CLUSTER syncwatch AS alert_state_local
ENGINE = Distributed(syncwatch, syncwatch, alert_state_local, cityHash64(tenant));

CREATE TABLE IF NOT EXISTS alert_notify_log_local ON CLUSTER syncwatch (
    key String,
    fingerprint String,
    firing_at Nullable(DateTime64(3, 'UTC')),
    resolved_at Nullable(DateTime64(3, 'UTC')),
    updated_at DateTime64(3, 'UTC')
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/syncwatch/alert_notify_log_local', '{replica}', updated_at)
ORDER BY key
TTL toDateTime(updated_at) + toIntervalDay(90);

CREATE TABLE IF NOT EXISTS alert_notify_log ON CLUSTER syncwatch AS alert_notify_log_local
ENGINE = Distributed(syncwatch, syncwatch, alert_notify_log_local, cityHash64(key));

CREATE TABLE IF NOT EXISTS alert_lease_local ON CLUSTER syncwatch (
    name String,
    holder String,
    expires_at DateTime64(3, 'UTC'),
    version UInt64
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/syncwatch/alert_lease_local', '{replica}', version)
ORDER BY name;

CREATE TABLE IF NOT EXISTS alert_lease ON CLUSTER syncwatch AS alert_lease_local
ENGINE = Distributed(syncwatch, syncwatch, alert_lease_local, cityHash64(name));

CREATE TABLE IF NOT EXISTS alert_inbox_local ON CLUSTER syncwatch (
    ts DateTime64(3, 'UTC'),
    id String,
    observations String
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/syncwatch/alert_inbox_local', '{replica}')
ORDER BY (ts, id)
TTL toDateTime(ts) + toIntervalDay(7);

CREATE TABLE IF NOT EXISTS alert_inbox ON CLUSTER syncwatch AS alert_inbox_local
ENGINE = Distributed(syncwatch, syncwatch, alert_inbox_local, cityHash64(ts));

-- 016_create_alert_history
CREATE TABLE IF NOT EXISTS alert_history_local ON CLUSTER syncwatch (
    ts DateTime64(3, 'UTC'),
    fingerprint String,
    tenant LowCardinality(String),
    rule LowCardinality(String),
    kind LowCardinality(String),
    from_status LowCardinality(String),
    to_status LowCardinality(String),
    detail String,
    version UInt64
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/syncwatch/alert_history_local', '{replica}')
PARTITION BY toYYYYMM(ts)
ORDER BY (tenant, fingerprint, ts)
TTL toDateTime(ts) + toIntervalDay(400);

CREATE TABLE IF NOT EXISTS alert_history ON CLUSTER syncwatch AS alert_history_local
ENGINE = Distributed(syncwatch, syncwatch, alert_history_local, cityHash64(tenant));

-- 017_create_alert_silences
CREATE TABLE IF NOT EXISTS alert_silences_local ON CLUSTER syncwatch (
    id String,
    matchers String,
    starts_at DateTime64(3, 'UTC'),
    ends_at DateTime64(3, 'UTC'),
    created_by String,
    comment String,
    created_at DateTime64(3, 'UTC'),
    version UInt64
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/syncwatch/alert_silences_local', '{replica}', version)
ORDER BY id
TTL toDateTime(ends_at) + toIntervalDay(90);

CREATE TABLE IF NOT EXISTS alert_silences ON CLUSTER syncwatch AS alert_silences_local
ENGINE = Distributed(syncwatch, syncwatch, alert_silences_local, cityHash64(id));

-- 018_create_tenant_subscriptions
CREATE TABLE IF NOT EXISTS tenant_subscriptions_local ON CLUSTER syncwatch (
    tenant String,
    subscription String,
    updated_at DateTime64(3, 'UTC'),
    version UInt64
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/syncwatch/tenant_subscriptions_local', '{replica}', version)
ORDER BY tenant;

CREATE TABLE IF NOT EXISTS tenant_subscriptions ON CLUSTER syncwatch AS tenant_subscriptions_local
ENGINE = Distributed(syncwatch, syncwatch, tenant_subscriptions_local, cityHash64(tenant));

-- 019_create_report_sends
CREATE TABLE IF NOT EXISTS report_sends_local ON CLUSTER syncwatch (
    kind LowCardinality(String),
    period String,
    tenant String,
    outcome LowCardinality(String),
    message_ids Array(String),
    targets UInt16,
    handled_at DateTime64(3, 'UTC')
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/syncwatch/report_sends_local', '{replica}', handled_at)
ORDER BY (kind, period, tenant)
TTL toDateTime(handled_at) + toIntervalDay(800);

CREATE TABLE IF NOT EXISTS report_sends ON CLUSTER syncwatch AS report_sends_local
ENGINE = Distributed(syncwatch, syncwatch, report_sends_local, cityHash64(tenant));

-- 020_add_record_key
ALTER TABLE record_attempts_local ON CLUSTER syncwatch ADD COLUMN IF NOT EXISTS record_key UInt128
    MATERIALIZED bitOr(bitShiftLeft(toUInt128(cityHash64(tenant, integration, record_id)), 64), sipHash64(tenant, integration, record_id));

ALTER TABLE record_attempts ON CLUSTER syncwatch ADD COLUMN IF NOT EXISTS record_key UInt128
    MATERIALIZED bitOr(bitShiftLeft(toUInt128(cityHash64(tenant, integration, record_id)), 64), sipHash64(tenant, integration, record_id));

ALTER TABLE record_attempts_local ON CLUSTER syncwatch MATERIALIZE COLUMN record_key;

-- 021_create_record_failures
CREATE TABLE IF NOT EXISTS record_failures_local ON CLUSTER syncwatch (
    tenant LowCardinality(String),
    integration LowCardinality(String),
    record_key UInt128,
    ts DateTime64(3, 'UTC'),
    event_id String,
    record_id String,
    flow LowCardinality(String),
    currency LowCardinality(String),
    has_value UInt8,
    record_value Float64
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/syncwatch/record_failures_local', '{replica}')
PARTITION BY toYYYYMM(ts)
ORDER BY (tenant, integration, record_key, ts, event_id)
TTL toDateTime(ts) + toIntervalDay(400);

CREATE TABLE IF NOT EXISTS record_failures ON CLUSTER syncwatch AS record_failures_local
ENGINE = Distributed(syncwatch, syncwatch, record_failures_local, cityHash64(tenant));

CREATE MATERIALIZED VIEW IF NOT EXISTS record_failures_mv ON CLUSTER syncwatch TO record_failures_local AS
SELECT
    tenant, integration,
    bitOr(bitShiftLeft(toUInt128(cityHash64(tenant, integration, record_id)), 64), sipHash64(tenant, integration, record_id)) AS record_key,
    ts, event_id, record_id, flow, currency, has_value, record_value
FROM events_local
WHERE type = 'record.failed';

INSERT INTO record_failures
SELECT
    tenant, integration,
    bitOr(bitShiftLeft(toUInt128(cityHash64(tenant, integration, record_id)), 64), sipHash64(tenant, integration, record_id)) AS record_key,
    ts, event_id, record_id, flow, currency, has_value, record_value
FROM events
WHERE type = 'record.failed' AND (SELECT count() FROM record_failures) = 0;

-- 022_create_activity_log
CREATE TABLE IF NOT EXISTS activity_log_local ON CLUSTER syncwatch (
    hour DateTime('UTC'),
    tenant LowCardinality(String),
    integration LowCardinality(String),
    flow LowCardinality(String),
    connection String,
    type LowCardinality(String),
    ts DateTime64(3, 'UTC'),
    currency LowCardinality(String),
    record_value Float64,
    failure_category LowCardinality(String),
    failure_code LowCardinality(String)
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/syncwatch/activity_log_local', '{replica}')
PARTITION BY toYYYYMM(hour)
ORDER BY (hour, tenant, integration, flow, ts)
TTL hour + toIntervalDay(400);

CREATE TABLE IF NOT EXISTS activity_log ON CLUSTER syncwatch AS activity_log_local
ENGINE = Distributed(syncwatch, syncwatch, activity_log_local, cityHash64(tenant));

CREATE MATERIALIZED VIEW IF NOT EXISTS activity_log_mv ON CLUSTER syncwatch TO activity_log_local AS
SELECT
    toStartOfHour(ts) AS hour, tenant, integration, flow, connection, type, ts,
    currency, record_value, failure_category, failure_code
FROM events_local
WHERE type IN ('run.succeeded', 'run.failed', 'record.synced', 'record.failed', 'record.skipped');

INSERT INTO activity_log
SELECT
    toStartOfHour(ts) AS hour, tenant, integration, flow, connection, type, ts,
    currency, record_value, failure_category, failure_code
FROM events FINAL
WHERE type IN ('run.succeeded', 'run.failed', 'record.synced', 'record.failed', 'record.skipped')
  AND (SELECT count() FROM activity_log) = 0;

-- 023_create_ingest_quarantine
CREATE TABLE IF NOT EXISTS ingest_quarantine_local ON CLUSTER syncwatch (
    id String,
    quarantined_at DateTime64(3, 'UTC'),
    kind LowCardinality(String),
    tenant String,
    event_id String,
    reason String,
    row String,
    state LowCardinality(String),
    updated_at DateTime64(3, 'UTC')
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/syncwatch/ingest_quarantine_local', '{replica}', updated_at)
ORDER BY id
TTL toDateTime(quarantined_at) + toIntervalDay(90);

CREATE TABLE IF NOT EXISTS ingest_quarantine ON CLUSTER syncwatch AS ingest_quarantine_local
ENGINE = Distributed(syncwatch, syncwatch, ingest_quarantine_local, cityHash64(tenant));

-- 024_add_failure_retryable
ALTER TABLE events_local ON CLUSTER syncwatch ADD COLUMN IF NOT EXISTS failure_retryable UInt8 DEFAULT 0;

ALTER TABLE events ON CLUSTER syncwatch ADD COLUMN IF NOT EXISTS failure_retryable UInt8 DEFAULT 0;

-- 025_set_insert_deduplication
ALTER TABLE events_local ON CLUSTER syncwatch MODIFY SETTING replicated_deduplication_window = 10000;

ALTER TABLE otel_traces_local ON CLUSTER syncwatch MODIFY SETTING replicated_deduplication_window = 10000;

ALTER TABLE record_attempts_local ON CLUSTER syncwatch MODIFY SETTING replicated_deduplication_window = 10000;

ALTER TABLE runs_local ON CLUSTER syncwatch MODIFY SETTING replicated_deduplication_window = 10000;

ALTER TABLE flow_stats_local ON CLUSTER syncwatch MODIFY SETTING replicated_deduplication_window = 10000;

ALTER TABLE connection_state_local ON CLUSTER syncwatch MODIFY SETTING replicated_deduplication_window = 10000;

ALTER TABLE flow_state_local ON CLUSTER syncwatch MODIFY SETTING replicated_deduplication_window = 10000;

ALTER TABLE failure_stats_local ON CLUSTER syncwatch MODIFY SETTING replicated_deduplication_window = 10000;

ALTER TABLE failure_log_local ON CLUSTER syncwatch MODIFY SETTING replicated_deduplication_window = 10000;

ALTER TABLE value_stats_local ON CLUSTER syncwatch MODIFY SETTING replicated_deduplication_window = 10000;

ALTER TABLE record_latest_local ON CLUSTER syncwatch MODIFY SETTING replicated_deduplication_window = 10000;

ALTER TABLE adoption_lifecycle_local ON CLUSTER syncwatch MODIFY SETTING replicated_deduplication_window = 10000;

ALTER TABLE adoption_first_success_local ON CLUSTER syncwatch MODIFY SETTING replicated_deduplication_window = 10000;

ALTER TABLE adoption_active_daily_local ON CLUSTER syncwatch MODIFY SETTING replicated_deduplication_window = 10000;

ALTER TABLE adoption_moved_hourly_local ON CLUSTER syncwatch MODIFY SETTING replicated_deduplication_window = 10000;

ALTER TABLE record_failures_local ON CLUSTER syncwatch MODIFY SETTING replicated_deduplication_window = 10000;

ALTER TABLE activity_log_local ON CLUSTER syncwatch MODIFY SETTING replicated_deduplication_window = 10000;

-- 040_create_alert_lease_keeper
CREATE TABLE IF NOT EXISTS alert_lease_keeper ON CLUSTER syncwatch (
    name String,
    holder String,
    expires_at UInt64,
    version UInt64
) ENGINE = KeeperMap('/syncwatch/syncwatch/alert_lease_keeper') PRIMARY KEY name;

-- 041_create_ingest_staging
CREATE TABLE IF NOT EXISTS ingest_staging_local ON CLUSTER syncwatch (
    batch_id String,
    staged_at DateTime64(3, 'UTC'),
    seq UInt32,
    batch_rows UInt32,
    kind LowCardinality(String),
    tenant String,
    event_id String,
    lookup UInt8,
    row String
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/syncwatch/ingest_staging_local', '{replica}')
ORDER BY (batch_id, seq)
TTL toDateTime(staged_at) + toIntervalDay(2);

CREATE TABLE IF NOT EXISTS ingest_staging ON CLUSTER syncwatch AS ingest_staging_local
ENGINE = Distributed(syncwatch, syncwatch, ingest_staging_local, cityHash64(batch_id));

CREATE TABLE IF NOT EXISTS ingest_staging_done_local ON CLUSTER syncwatch (
    batch_id String,
    done_at DateTime64(3, 'UTC')
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/syncwatch/ingest_staging_done_local', '{replica}')
ORDER BY batch_id
TTL toDateTime(done_at) + toIntervalDay(3);

CREATE TABLE IF NOT EXISTS ingest_staging_done ON CLUSTER syncwatch AS ingest_staging_done_local
ENGINE = Distributed(syncwatch, syncwatch, ingest_staging_done_local, cityHash64(batch_id));

-- 050_add_notify_log_told_size
ALTER TABLE alert_notify_log_local ON CLUSTER syncwatch ADD COLUMN IF NOT EXISTS told_size Float64 DEFAULT 0;

ALTER TABLE alert_notify_log ON CLUSTER syncwatch ADD COLUMN IF NOT EXISTS told_size Float64 DEFAULT 0;

-- 060_create_record_synced_monthly
CREATE TABLE IF NOT EXISTS record_synced_monthly_local ON CLUSTER syncwatch (
    tenant LowCardinality(String),
    integration LowCardinality(String),
    record_key UInt128,
    month Date,
    last_synced_at SimpleAggregateFunction(max, DateTime64(3, 'UTC'))
) ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/syncwatch/record_synced_monthly_local', '{replica}')
PARTITION BY toYear(month)
ORDER BY (tenant, integration, record_key, month)
TTL toDateTime(last_synced_at) + toIntervalDay(400);

CREATE TABLE IF NOT EXISTS record_synced_monthly ON CLUSTER syncwatch AS record_synced_monthly_local
ENGINE = Distributed(syncwatch, syncwatch, record_synced_monthly_local, cityHash64(tenant));

ALTER TABLE record_synced_monthly_local ON CLUSTER syncwatch MODIFY SETTING replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS record_synced_monthly_mv ON CLUSTER syncwatch TO record_synced_monthly_local AS
SELECT
    tenant, integration,
    bitOr(bitShiftLeft(toUInt128(cityHash64(tenant, integration, record_id)), 64), sipHash64(tenant, integration, record_id)) AS record_key,
    toStartOfMonth(ts) AS month,
    ts AS last_synced_at
FROM events_local
WHERE type = 'record.synced';

INSERT INTO record_synced_monthly
SELECT tenant, integration, record_key, toStartOfMonth(ts) AS month, max(ts) AS last_synced_at
FROM record_attempts
WHERE status = 'synced'
GROUP BY tenant, integration, record_key, month;

-- 061_drop_record_latest
DROP VIEW IF EXISTS record_latest_mv ON CLUSTER syncwatch SYNC;

DROP TABLE IF EXISTS record_latest ON CLUSTER syncwatch SYNC;

DROP TABLE IF EXISTS record_latest_local ON CLUSTER syncwatch SYNC;

-- 062_create_slack_messages
CREATE TABLE IF NOT EXISTS slack_messages_local ON CLUSTER syncwatch (
    key String,
    slack_channel String,
    ts String,
    updated_at DateTime64(3, 'UTC')
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/syncwatch/slack_messages_local', '{replica}', updated_at)
ORDER BY key
TTL toDateTime(updated_at) + toIntervalDay(90);

CREATE TABLE IF NOT EXISTS slack_messages ON CLUSTER syncwatch AS slack_messages_local
ENGINE = Distributed(syncwatch, syncwatch, slack_messages_local, cityHash64(key));

-- 070_create_record_failed_monthly
CREATE TABLE IF NOT EXISTS record_failed_monthly_local ON CLUSTER syncwatch (
    tenant LowCardinality(String),
    integration LowCardinality(String),
    record_key UInt128,
    month Date,
    last_failed_at SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
    last_failure SimpleAggregateFunction(max, String)
) ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/syncwatch/record_failed_monthly_local', '{replica}')
PARTITION BY toYear(month)
ORDER BY (tenant, integration, record_key, month)
TTL toDateTime(last_failed_at) + toIntervalDay(400);

CREATE TABLE IF NOT EXISTS record_failed_monthly ON CLUSTER syncwatch AS record_failed_monthly_local
ENGINE = Distributed(syncwatch, syncwatch, record_failed_monthly_local, cityHash64(tenant));

ALTER TABLE record_failed_monthly_local ON CLUSTER syncwatch MODIFY SETTING replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS record_failed_monthly_mv ON CLUSTER syncwatch TO record_failed_monthly_local AS
SELECT
    tenant, integration,
    bitOr(bitShiftLeft(toUInt128(cityHash64(tenant, integration, record_id)), 64), sipHash64(tenant, integration, record_id)) AS record_key,
    toStartOfMonth(ts) AS month,
    ts AS last_failed_at,
    concat(toString(ts), event_id, '\0', record_id, '\0', flow, '\0', if(has_value = 1, currency, ''), '\0', toString(record_value)) AS last_failure
FROM events_local
WHERE type = 'record.failed';

INSERT INTO record_failed_monthly
SELECT tenant, integration, record_key, toStartOfMonth(ts) AS month, max(ts),
       max(concat(toString(ts), event_id, '\0', record_id, '\0', flow, '\0', if(has_value = 1, currency, ''), '\0', toString(record_value)))
FROM record_failures
GROUP BY tenant, integration, record_key, month;

-- 071_create_run_ends
CREATE TABLE IF NOT EXISTS run_ends_local ON CLUSTER syncwatch (
    hour DateTime('UTC'),
    run_key UInt128,
    tenant LowCardinality(String),
    integration LowCardinality(String),
    flow LowCardinality(String),
    connection String,
    ts DateTime64(3, 'UTC'),
    event_id String,
    kind UInt8
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/syncwatch/run_ends_local', '{replica}')
PARTITION BY toYYYYMM(hour)
ORDER BY (hour, run_key)
TTL hour + toIntervalDay(400);

CREATE TABLE IF NOT EXISTS run_ends ON CLUSTER syncwatch AS run_ends_local
ENGINE = Distributed(syncwatch, syncwatch, run_ends_local, cityHash64(tenant));

ALTER TABLE run_ends_local ON CLUSTER syncwatch MODIFY SETTING replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS run_ends_mv ON CLUSTER syncwatch TO run_ends_local AS
SELECT
    toStartOfHour(ts) AS hour,
    bitOr(bitShiftLeft(toUInt128(cityHash64(tenant, integration, connection, flow, run)), 64), sipHash64(tenant, integration, connection, flow, run)) AS run_key,
    tenant, integration, flow, connection, ts, event_id,
    multiIf(type = 'run.succeeded', 2, type = 'run.failed', 1, 0) AS kind
FROM events_local
WHERE run != '' AND type IN ('run.succeeded', 'run.failed', 'record.failed');

INSERT INTO run_ends
SELECT
    toStartOfHour(ts) AS hour,
    bitOr(bitShiftLeft(toUInt128(cityHash64(tenant, integration, connection, flow, run)), 64), sipHash64(tenant, integration, connection, flow, run)) AS run_key,
    tenant, integration, flow, connection, ts, event_id,
    multiIf(type = 'run.succeeded', 2, type = 'run.failed', 1, 0) AS kind
FROM events
WHERE run != '' AND type IN ('run.succeeded', 'run.failed', 'record.failed') AND (SELECT count() FROM run_ends) = 0;

CREATE TABLE IF NOT EXISTS run_failed_local ON CLUSTER syncwatch (
    run_key UInt128,
    last_failed_at SimpleAggregateFunction(max, DateTime64(3, 'UTC'))
) ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/syncwatch/run_failed_local', '{replica}')
ORDER BY run_key
TTL toDateTime(last_failed_at) + toIntervalDay(400)
SETTINGS index_granularity = 256;

CREATE TABLE IF NOT EXISTS run_failed ON CLUSTER syncwatch AS run_failed_local
ENGINE = Distributed(syncwatch, syncwatch, run_failed_local, cityHash64(run_key));

ALTER TABLE run_failed_local ON CLUSTER syncwatch MODIFY SETTING replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS run_failed_mv ON CLUSTER syncwatch TO run_failed_local AS
SELECT
    bitOr(bitShiftLeft(toUInt128(cityHash64(tenant, integration, connection, flow, run)), 64), sipHash64(tenant, integration, connection, flow, run)) AS run_key,
    max(ts) AS last_failed_at
FROM events_local
WHERE run != '' AND type = 'record.failed'
GROUP BY run_key;

INSERT INTO run_failed
SELECT
    bitOr(bitShiftLeft(toUInt128(cityHash64(tenant, integration, connection, flow, run)), 64), sipHash64(tenant, integration, connection, flow, run)) AS run_key,
    max(last_seen_at)
FROM runs
WHERE records_failed > 0
GROUP BY run_key;

-- 075_create_record_events
DROP VIEW IF EXISTS record_attempts_mv ON CLUSTER syncwatch SYNC;

DROP TABLE IF EXISTS record_attempts ON CLUSTER syncwatch SYNC;

DROP TABLE IF EXISTS record_attempts_local ON CLUSTER syncwatch SYNC;

CREATE VIEW IF NOT EXISTS record_events ON CLUSTER syncwatch AS
SELECT
    tenant, record_id, integration, connection, flow, ts, run,
    replaceOne(type, 'record.', '') AS status,
    record_type, record_value, has_value, currency,
    failure_category, failure_code, message, event_id,
    bitOr(bitShiftLeft(toUInt128(cityHash64(tenant, integration, record_id)), 64), sipHash64(tenant, integration, record_id)) AS record_key
FROM events
WHERE type IN ('record.synced', 'record.failed', 'record.skipped');

-- 076_create_record_synced_daily
CREATE TABLE IF NOT EXISTS record_synced_daily_local ON CLUSTER syncwatch (
    tenant LowCardinality(String),
    day Date,
    integration LowCardinality(String),
    record_key UInt128,
    last_synced_at SimpleAggregateFunction(max, DateTime64(3, 'UTC'))
) ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/syncwatch/record_synced_daily_local', '{replica}')
PARTITION BY toYYYYMM(day)
ORDER BY (tenant, day, integration, record_key)
TTL toDateTime(last_synced_at) + toIntervalDay(400);

CREATE TABLE IF NOT EXISTS record_synced_daily ON CLUSTER syncwatch AS record_synced_daily_local
ENGINE = Distributed(syncwatch, syncwatch, record_synced_daily_local, cityHash64(tenant));

ALTER TABLE record_synced_daily_local ON CLUSTER syncwatch MODIFY SETTING replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS record_synced_daily_mv ON CLUSTER syncwatch TO record_synced_daily_local AS
SELECT
    tenant,
    toDate(ts) AS day,
    integration,
    bitOr(bitShiftLeft(toUInt128(cityHash64(tenant, integration, record_id)), 64), sipHash64(tenant, integration, record_id)) AS record_key,
    ts AS last_synced_at
FROM events_local
WHERE type = 'record.synced';

INSERT INTO record_synced_daily
SELECT tenant, toDate(ts) AS day, integration,
       bitOr(bitShiftLeft(toUInt128(cityHash64(tenant, integration, record_id)), 64), sipHash64(tenant, integration, record_id)) AS record_key,
       ts AS last_synced_at
FROM events
WHERE type = 'record.synced';
