-- The de-duplication index: one row per (tenant, event id) ever stored. Ordered by
-- event_id first so the ingest check `event_id IN {ids}` is a primary-key look-up.
-- Kept 90 days: a re-send older than that is no longer recognised (documented).
CREATE TABLE IF NOT EXISTS event_ids (
    event_id String,
    tenant LowCardinality(String),
    received_at DateTime64(3, 'UTC')
) ENGINE = ReplacingMergeTree
ORDER BY (event_id, tenant)
TTL toDateTime(received_at) + toIntervalDay(90);
