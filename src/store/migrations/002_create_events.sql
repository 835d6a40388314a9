-- Every integration event: those posted to /v1/events and those derived from run and
-- record spans (source = 'span'). This is the normalised row the insights read.
-- Ordered by connection and flow, then time: health, runs and value scan one
-- connection's range. Ingest de-duplicates by (tenant, event_id) before inserting (see
-- event_ids); ReplacingMergeTree on a key that ends in event_id is only the backstop
-- for a crash between the two inserts (queries on raw rows that must be exact use FINAL).
-- Monthly partitions keep part counts low at this volume; TTL is the retention.
CREATE TABLE IF NOT EXISTS events (
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
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (tenant, integration, flow, ts, event_id)
TTL toDateTime(ts) + toIntervalDay(400);
