-- The ingest quarantine: rows the store refused at flush, kept with the engine's reason
-- so that everyone else's rows flow on (a refused row used to be retried forever in
-- front of all later data). Small by nature and read by an admin: ordered by id, with
-- ReplacingMergeTree(updated_at) so a replay or a discard marks a row handled by
-- inserting a newer version (reads use FINAL). Kept 90 days.
CREATE TABLE IF NOT EXISTS ingest_quarantine (
    id String,
    quarantined_at DateTime64(3, 'UTC'),
    kind LowCardinality(String),
    tenant String,
    event_id String,
    reason String,
    row String,
    state LowCardinality(String),
    updated_at DateTime64(3, 'UTC')
) ENGINE = ReplacingMergeTree(updated_at)
ORDER BY id
TTL toDateTime(quarantined_at) + toIntervalDay(90);
