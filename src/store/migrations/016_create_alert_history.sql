-- Every status change of every alert (pending, firing, resolved, cancelled) and every
-- notification handed to the outbox, for GET /v1/alerts and for audits. Append-only.
-- Ordered by tenant then fingerprint then time: the API reads one tenant's alerts, and
-- one alert's history. Monthly partitions; kept 400 days like the raw events.
CREATE TABLE IF NOT EXISTS alert_history (
    ts DateTime64(3, 'UTC'),
    fingerprint String,
    tenant LowCardinality(String),
    rule LowCardinality(String),
    kind LowCardinality(String),
    from_status LowCardinality(String),
    to_status LowCardinality(String),
    detail String,
    version UInt64
) ENGINE = MergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (tenant, fingerprint, ts)
TTL toDateTime(ts) + toIntervalDay(400);
