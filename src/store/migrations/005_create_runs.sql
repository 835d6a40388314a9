-- One row per run (once merged): when it started and ended, how it ended, and how many
-- records it synced, failed and skipped, by failure category. A run's events arrive in
-- many inserts and out of order, so every column is a mergeable aggregate and the
-- outcome is argMax by (event time, event_id) over the terminal events — event time,
-- not insert order. Queries always GROUP BY the key (merges are eventual); ingest
-- de-duplicates before inserting, so each event reaches this view once.
-- Ordered by (tenant, run, …) so a run report and "these runs" look-ups are primary-key
-- ranges. Partitioned by month of the newest event in the inserted block: a run that
-- spans a month boundary keeps two rows, which the GROUP BY merges. TTL matches events.
CREATE TABLE IF NOT EXISTS runs (
    tenant LowCardinality(String),
    run String,
    integration LowCardinality(String),
    connection String,
    flow LowCardinality(String),
    first_seen_at SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
    last_seen_at SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
    started_at SimpleAggregateFunction(min, Nullable(DateTime64(3, 'UTC'))),
    ended_at SimpleAggregateFunction(max, Nullable(DateTime64(3, 'UTC'))),
    outcome AggregateFunction(argMaxIf, Tuple(String, String, String, String), Tuple(DateTime64(3, 'UTC'), String), UInt8),
    records_total SimpleAggregateFunction(max, UInt32),
    records_synced SimpleAggregateFunction(sum, UInt64),
    records_failed SimpleAggregateFunction(sum, UInt64),
    records_skipped SimpleAggregateFunction(sum, UInt64),
    failures_infra SimpleAggregateFunction(sum, UInt64),
    failures_endpoint SimpleAggregateFunction(sum, UInt64),
    failures_data SimpleAggregateFunction(sum, UInt64)
) ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(last_seen_at)
ORDER BY (tenant, run, integration, connection, flow)
TTL toDateTime(last_seen_at) + toIntervalDay(400);

CREATE MATERIALIZED VIEW IF NOT EXISTS runs_mv TO runs AS
SELECT
    tenant, run, integration, connection, flow,
    min(ts) AS first_seen_at,
    max(ts) AS last_seen_at,
    minOrNullIf(ts, type = 'run.started') AS started_at,
    maxOrNullIf(ts, type IN ('run.succeeded', 'run.failed')) AS ended_at,
    argMaxIfState(
        (replaceOne(type, 'run.', ''), toString(failure_category), toString(failure_code), message),
        (ts, event_id),
        type IN ('run.succeeded', 'run.failed')) AS outcome,
    max(records_total) AS records_total,
    countIf(type = 'record.synced') AS records_synced,
    countIf(type = 'record.failed') AS records_failed,
    countIf(type = 'record.skipped') AS records_skipped,
    countIf(type IN ('run.failed', 'record.failed') AND failure_category = 'infra') AS failures_infra,
    countIf(type IN ('run.failed', 'record.failed') AND failure_category = 'endpoint') AS failures_endpoint,
    countIf(type IN ('run.failed', 'record.failed') AND failure_category = 'data') AS failures_data
FROM events
WHERE run != '' AND (type LIKE 'run.%' OR type LIKE 'record.%')
GROUP BY tenant, run, integration, connection, flow;

-- Fill from events already stored when this migration first runs (start-up migrates
-- before ingest accepts anything); skipped when the table already has rows.
INSERT INTO runs
SELECT
    tenant, run, integration, connection, flow,
    min(ts), max(ts),
    minOrNullIf(ts, type = 'run.started'),
    maxOrNullIf(ts, type IN ('run.succeeded', 'run.failed')),
    argMaxIfState(
        (replaceOne(type, 'run.', ''), toString(failure_category), toString(failure_code), message),
        (ts, event_id),
        type IN ('run.succeeded', 'run.failed')),
    max(records_total),
    countIf(type = 'record.synced'),
    countIf(type = 'record.failed'),
    countIf(type = 'record.skipped'),
    countIf(type IN ('run.failed', 'record.failed') AND failure_category = 'infra'),
    countIf(type IN ('run.failed', 'record.failed') AND failure_category = 'endpoint'),
    countIf(type IN ('run.failed', 'record.failed') AND failure_category = 'data')
FROM events
WHERE run != '' AND (type LIKE 'run.%' OR type LIKE 'record.%') AND (SELECT count() FROM runs) = 0
GROUP BY tenant, run, integration, connection, flow;
