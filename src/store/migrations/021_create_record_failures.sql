-- record_failures: every failed record attempt (about one record event in twenty), with
-- what value at risk reports of it. Value at risk as of a past cut-off needs, per record,
-- its last failure before the cut-off (and that failure's flow, currency and value, by
-- event time then event id) and its last sync before it. The syncs are read from
-- record_attempts as plain times; the failures' details are read here, because reading
-- them from record_attempts meant decoding the strings of every sync too
-- (docs/decisions.md). record_key is the same expression as record_attempts.record_key
-- (migration 020): the two are joined on it, so they must never differ.
-- Ordered like record_attempts (tenant, integration, then the record): a tenant, or one
-- integration of it, is one key range. ReplacingMergeTree on a key ending in event_id is
-- the backstop for a re-inserted event (ingest de-duplicates first; max and argMax are
-- unaffected by a duplicate anyway). Monthly partitions so a past cut-off skips later
-- months; TTL as record_attempts, so both forget a record's history at the same time.
CREATE TABLE IF NOT EXISTS record_failures (
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
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (tenant, integration, record_key, ts, event_id)
TTL toDateTime(ts) + toIntervalDay(400);

CREATE MATERIALIZED VIEW IF NOT EXISTS record_failures_mv TO record_failures AS
SELECT
    tenant, integration,
    bitOr(bitShiftLeft(toUInt128(cityHash64(tenant, integration, record_id)), 64), sipHash64(tenant, integration, record_id)) AS record_key,
    ts, event_id, record_id, flow, currency, has_value, record_value
FROM events
WHERE type = 'record.failed';

-- Fill from events already stored when this migration first runs; skipped when the table has rows.
INSERT INTO record_failures
SELECT
    tenant, integration,
    bitOr(bitShiftLeft(toUInt128(cityHash64(tenant, integration, record_id)), 64), sipHash64(tenant, integration, record_id)) AS record_key,
    ts, event_id, record_id, flow, currency, has_value, record_value
FROM events
WHERE type = 'record.failed' AND (SELECT count() FROM record_failures) = 0;
