-- activity_log: every run outcome and record attempt, ordered by hour first, for the
-- partial hours at a window's edges when the window covers every tenant (health of all
-- connections, adoption) and nothing else; failure_log (migration 008) does the same for
-- failures. events is ordered by tenant, integration and flow first, so an hour across
-- all tenants touches at least one 8192-row granule per flow (on 10 M events, a million
-- rows read for two partial hours); here it is one contiguous range, the tenant the next
-- key column. Only the columns those reads use, so it is a fraction of events' size.
-- Plain MergeTree: ingest de-duplicates before insert, as for the rollups. Monthly
-- partitions and the same TTL as events.
CREATE TABLE IF NOT EXISTS activity_log (
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
) ENGINE = MergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (hour, tenant, integration, flow, ts)
TTL hour + toIntervalDay(400);

CREATE MATERIALIZED VIEW IF NOT EXISTS activity_log_mv TO activity_log AS
SELECT
    toStartOfHour(ts) AS hour, tenant, integration, flow, connection, type, ts,
    currency, record_value, failure_category, failure_code
FROM events
WHERE type IN ('run.succeeded', 'run.failed', 'record.synced', 'record.failed', 'record.skipped');

-- Fill from events already stored when this migration first runs; skipped when the table has rows.
INSERT INTO activity_log
SELECT
    toStartOfHour(ts) AS hour, tenant, integration, flow, connection, type, ts,
    currency, record_value, failure_category, failure_code
FROM events FINAL
WHERE type IN ('run.succeeded', 'run.failed', 'record.synced', 'record.failed', 'record.skipped')
  AND (SELECT count() FROM activity_log) = 0;
