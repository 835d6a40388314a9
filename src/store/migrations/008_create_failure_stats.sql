-- Failures per (tenant, integration, flow, category, code, scope, hour), so /v1/failures
-- reads a few rows per hour and group instead of raw events. scope is 'record' when a
-- record failed (affected = distinct records) and 'run' when the run itself failed
-- (affected = distinct runs); both are named with their tenant and integration, so
-- distinct counts stay right across tenants. uniqExact, min, max and the sorted examples
-- merge exactly across hours, so any window of whole hours is exact; the partial hours at
-- a window's edges are read from failure_log below (src/insights/rollup-range.ts).
-- ORDER BY (tenant, hour, …): a window is one key range per tenant, with or without a
-- tenant filter, so even the examples (the widest column) are read only for the window's
-- rows; every dimension is in the key because AggregatingMergeTree merges equal keys.
-- Small granules (1024 rows): an hour of one tenant is a few rows, and a default 8192-row
-- granule would make a narrow window decompress the examples of thousands of others.
-- Monthly partitions and the TTL follow events (400 days), so the rollup never outlives
-- the raw rows it summarises. Ingest de-duplicates before insert, so counts need no FINAL.
CREATE TABLE IF NOT EXISTS failure_stats (
    tenant LowCardinality(String),
    integration LowCardinality(String),
    flow LowCardinality(String),
    failure_category LowCardinality(String),
    failure_code LowCardinality(String),
    scope LowCardinality(String),
    hour DateTime('UTC'),
    failures SimpleAggregateFunction(sum, UInt64),
    affected AggregateFunction(uniqExact, String),
    first_seen SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
    last_seen SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
    -- The 10 latest failures of the hour: (-epoch ms, record_id, message, run), smallest first.
    examples AggregateFunction(groupArraySorted(10), Tuple(Int64, String, String, String))
) ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (tenant, hour, integration, flow, failure_category, failure_code, scope)
TTL hour + toIntervalDay(400)
SETTINGS index_granularity = 1024;

CREATE MATERIALIZED VIEW IF NOT EXISTS failure_stats_mv TO failure_stats AS
SELECT
    tenant, integration, flow, failure_category, failure_code,
    if(record_id = '', 'run', 'record') AS scope,
    toStartOfHour(ts) AS hour,
    count() AS failures,
    uniqExactState(concat(tenant, '\0', integration, '\0', if(record_id = '', run, record_id))) AS affected,
    min(ts) AS first_seen,
    max(ts) AS last_seen,
    groupArraySortedState(10)((-toUnixTimestamp64Milli(ts), record_id, substringUTF8(message, 1, 500), run)) AS examples
FROM events
WHERE failure_category != ''
GROUP BY tenant, integration, flow, failure_category, failure_code, scope, hour;

-- Fill from events already stored when this migration first runs (start-up migrates
-- before ingest accepts anything); skipped when the table has rows, so a re-run cannot
-- double anything.
INSERT INTO failure_stats
SELECT
    tenant, integration, flow, failure_category, failure_code,
    if(record_id = '', 'run', 'record') AS scope,
    toStartOfHour(ts) AS hour,
    count() AS failures,
    uniqExactState(concat(tenant, '\0', integration, '\0', if(record_id = '', run, record_id))) AS affected,
    min(ts) AS first_seen,
    max(ts) AS last_seen,
    groupArraySortedState(10)((-toUnixTimestamp64Milli(ts), record_id, substringUTF8(message, 1, 500), run)) AS examples
FROM events FINAL
WHERE failure_category != '' AND (SELECT count() FROM failure_stats) = 0
GROUP BY tenant, integration, flow, failure_category, failure_code, scope, hour;

-- failure_log: every failure event, ordered by hour first, for the partial hours at a
-- window's edges and nothing else. events is ordered by tenant first, so a time slice of
-- it across all tenants touches a granule per (tenant, integration, flow) — here it is
-- one contiguous range, and the tenant is the next key column. Only failures, so it is a
-- small fraction of events. Plain MergeTree: ingest de-duplicates before insert, as for
-- the rollup above. Monthly partitions and TTL follow events.
CREATE TABLE IF NOT EXISTS failure_log (
    hour DateTime('UTC'),
    tenant LowCardinality(String),
    integration LowCardinality(String),
    flow LowCardinality(String),
    failure_category LowCardinality(String),
    failure_code LowCardinality(String),
    ts DateTime64(3, 'UTC'),
    record_id String,
    run String,
    message String
) ENGINE = MergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (hour, tenant, integration, flow, failure_category, failure_code, ts)
TTL hour + toIntervalDay(400);

CREATE MATERIALIZED VIEW IF NOT EXISTS failure_log_mv TO failure_log AS
SELECT
    toStartOfHour(ts) AS hour, tenant, integration, flow, failure_category, failure_code,
    ts, record_id, run, substringUTF8(message, 1, 500) AS message
FROM events
WHERE failure_category != '';

INSERT INTO failure_log
SELECT
    toStartOfHour(ts) AS hour, tenant, integration, flow, failure_category, failure_code,
    ts, record_id, run, substringUTF8(message, 1, 500) AS message
FROM events FINAL
WHERE failure_category != '' AND (SELECT count() FROM failure_log) = 0;
