-- The delivery log: every attempt of every delivery, appended once (MergeTree, no
-- versions), with the receiver's status code (HTTP or SMTP), whether it was accepted,
-- the error and how long it took. ORDER BY (delivery_id, attempt): the API reads the
-- attempts of the deliveries it lists by id. Monthly partitions and a 90-day TTL, like
-- the outbox rows they explain.
CREATE TABLE IF NOT EXISTS notification_attempts (
    delivery_id String,
    attempt UInt32,
    at DateTime64(3, 'UTC'),
    status_code UInt16,
    ok UInt8,
    retryable UInt8,
    error String,
    duration_ms UInt32
) ENGINE = MergeTree
PARTITION BY toYYYYMM(at)
ORDER BY (delivery_id, attempt)
TTL toDateTime(at) + toIntervalDay(90);
