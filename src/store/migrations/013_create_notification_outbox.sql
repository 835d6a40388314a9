-- The notification outbox (docs/notify.md#delivery-and-retries): one row per delivery — one message to one
-- target — rewritten on every change (pending → delivered | dead, attempts, next try) with
-- a higher version; ReplacingMergeTree(version) keeps the latest, and reads use FINAL
-- (the table holds deliveries, not telemetry: small). ORDER BY delivery_id: the only
-- look-ups are by id (de-duplication on enqueue); the dispatcher reads the pending rows
-- once at start and keeps them in memory. target holds webhook secrets: the table is
-- internal and the API never returns that column. Not partitioned (small); rows go 90
-- days after their last change (every version of a delivery is newer than the one
-- before, so the latest is the last to expire).
CREATE TABLE IF NOT EXISTS notification_outbox (
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
) ENGINE = ReplacingMergeTree(version)
ORDER BY delivery_id
TTL toDateTime(updated_at) + toIntervalDay(90);
