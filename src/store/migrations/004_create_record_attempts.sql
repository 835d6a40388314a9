-- One row per attempt to move a record, ordered by (tenant, record_id) so "did ORD-1001
-- sync?" is a primary-key look-up however large the events table grows. Filled by a
-- materialised view from events, so every ingest path feeds it.
CREATE TABLE IF NOT EXISTS record_attempts (
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
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (tenant, record_id, integration, ts, event_id)
TTL toDateTime(ts) + toIntervalDay(400);

CREATE MATERIALIZED VIEW IF NOT EXISTS record_attempts_mv TO record_attempts AS
SELECT
    tenant, record_id, integration, connection, flow, ts, run,
    replaceOne(type, 'record.', '') AS status,
    record_type, record_value, has_value, currency,
    failure_category, failure_code, message, event_id
FROM events
WHERE type IN ('record.synced', 'record.failed', 'record.skipped');
