-- Hourly counts per flow: runs (ended), record attempts, and failures by category and
-- code, so health over any window reads (flows × hours) rows instead of raw events, and
-- the partial hours at the edges of a window are read from events (see
-- src/insights/rollup-range.ts), so figures equal a raw recount exactly.
-- A run counts in the hour its terminal event (run.succeeded / run.failed) happened; a
-- record attempt and a failure in the hour of their own event.
-- AggregatingMergeTree with SimpleAggregateFunction(sum) behaves as SummingMergeTree,
-- and also sums the per-code Map (SummingMergeTree does not sum Map columns).
-- Ordered by flow then hour: a tenant's window is one range per flow. Monthly
-- partitions and the same TTL as events.
CREATE TABLE IF NOT EXISTS flow_stats (
    tenant LowCardinality(String),
    integration LowCardinality(String),
    connection String,
    flow LowCardinality(String),
    hour DateTime('UTC'),
    runs_total SimpleAggregateFunction(sum, UInt64),
    runs_succeeded SimpleAggregateFunction(sum, UInt64),
    runs_failed SimpleAggregateFunction(sum, UInt64),
    records_synced SimpleAggregateFunction(sum, UInt64),
    records_failed SimpleAggregateFunction(sum, UInt64),
    records_skipped SimpleAggregateFunction(sum, UInt64),
    failures_infra SimpleAggregateFunction(sum, UInt64),
    failures_endpoint SimpleAggregateFunction(sum, UInt64),
    failures_data SimpleAggregateFunction(sum, UInt64),
    failure_codes SimpleAggregateFunction(sumMap, Map(String, UInt64))
) ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (tenant, integration, flow, connection, hour)
TTL hour + toIntervalDay(400);

CREATE MATERIALIZED VIEW IF NOT EXISTS flow_stats_mv TO flow_stats AS
SELECT
    tenant, integration, connection, flow,
    toStartOfHour(ts) AS hour,
    countIf(type IN ('run.succeeded', 'run.failed')) AS runs_total,
    countIf(type = 'run.succeeded') AS runs_succeeded,
    countIf(type = 'run.failed') AS runs_failed,
    countIf(type = 'record.synced') AS records_synced,
    countIf(type = 'record.failed') AS records_failed,
    countIf(type = 'record.skipped') AS records_skipped,
    countIf(type IN ('run.failed', 'record.failed') AND failure_category = 'infra') AS failures_infra,
    countIf(type IN ('run.failed', 'record.failed') AND failure_category = 'endpoint') AS failures_endpoint,
    countIf(type IN ('run.failed', 'record.failed') AND failure_category = 'data') AS failures_data,
    sumMapIf(map(concat(toString(failure_category), '.', toString(failure_code)), toUInt64(1)), type IN ('run.failed', 'record.failed')) AS failure_codes
FROM events
WHERE type IN ('run.succeeded', 'run.failed', 'record.synced', 'record.failed', 'record.skipped')
GROUP BY tenant, integration, connection, flow, hour;

INSERT INTO flow_stats
SELECT
    tenant, integration, connection, flow,
    toStartOfHour(ts) AS hour,
    countIf(type IN ('run.succeeded', 'run.failed')),
    countIf(type = 'run.succeeded'),
    countIf(type = 'run.failed'),
    countIf(type = 'record.synced'),
    countIf(type = 'record.failed'),
    countIf(type = 'record.skipped'),
    countIf(type IN ('run.failed', 'record.failed') AND failure_category = 'infra'),
    countIf(type IN ('run.failed', 'record.failed') AND failure_category = 'endpoint'),
    countIf(type IN ('run.failed', 'record.failed') AND failure_category = 'data'),
    sumMapIf(map(concat(toString(failure_category), '.', toString(failure_code)), toUInt64(1)), type IN ('run.failed', 'record.failed'))
FROM events
WHERE type IN ('run.succeeded', 'run.failed', 'record.synced', 'record.failed', 'record.skipped')
  AND (SELECT count() FROM flow_stats) = 0
GROUP BY tenant, integration, connection, flow, hour;
