-- Silences: matchers over alert labels with a start and an end. Rewritten with a higher
-- version when expired early; readers take argMax(…, version) per id. Few rows, ordered
-- by id; kept 90 days after they end so the API can still list recent ones.
CREATE TABLE IF NOT EXISTS alert_silences (
    id String,
    matchers String,
    starts_at DateTime64(3, 'UTC'),
    ends_at DateTime64(3, 'UTC'),
    created_by String,
    comment String,
    created_at DateTime64(3, 'UTC'),
    version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY id
TTL toDateTime(ends_at) + toIntervalDay(90);
