-- What value at risk needs of every record, per (tenant, integration, record_id): when it
-- first and last failed, when it last synced, and its latest failure (a record is at risk
-- when its latest failure is newer than its latest sync; skips neither put it at risk nor
-- clear it). All plain max/min columns (SimpleAggregateFunction), not argMaxState: they
-- merge in any arrival order and scan fast. last_failure is an argMax by (event time,
-- event id) written as a max over a string that starts with both — the time as
-- fixed-width text, then the event id — and ends with the failure's flow, currency,
-- has_value and value, '\0'-separated (read from the end, so an id cannot shift them).
-- A record at risk before `asOf` and untouched since is answered from here alone; records
-- touched since `asOf`, and same-millisecond ties, are settled from record_attempts.
-- Read with FINAL, which merges in key order (far cheaper than GROUP BY over millions of
-- records); filters then apply after the merge as long as they are not moved to PREWHERE
-- (optimize_move_to_prewhere_if_final = 0, set by the query). Scalar columns only: on this
-- engine version a filter on tuple subcolumns under FINAL ran before the merge. The MV
-- does not pre-aggregate: retries rarely share an insert block, so hashing would cost
-- more than it saves; merges fold the rows.
-- Ordered by the key it merges on; a tenant is one key range. Not partitioned (rows are
-- per record, not per time); a record untouched for 400 days (the events' TTL) is dropped.
CREATE TABLE IF NOT EXISTS record_latest (
    tenant LowCardinality(String),
    integration LowCardinality(String),
    record_id String,
    first_failed_at SimpleAggregateFunction(min, Nullable(DateTime64(3, 'UTC'))),
    last_failed_at SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
    last_synced_at SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
    last_failure SimpleAggregateFunction(max, String)
) ENGINE = AggregatingMergeTree
ORDER BY (tenant, integration, record_id)
TTL toDateTime(greatest(last_failed_at, last_synced_at)) + toIntervalDay(400);

CREATE MATERIALIZED VIEW IF NOT EXISTS record_latest_mv TO record_latest AS
SELECT
    tenant, integration, record_id,
    if(type = 'record.failed', toNullable(ts), NULL) AS first_failed_at,
    if(type = 'record.failed', ts, toDateTime64(0, 3, 'UTC')) AS last_failed_at,
    if(type = 'record.synced', ts, toDateTime64(0, 3, 'UTC')) AS last_synced_at,
    if(type = 'record.failed',
       concat(toString(ts), event_id, '\0', flow, '\0', currency, '\0', toString(has_value), '\0', toString(record_value)),
       '') AS last_failure
FROM events
WHERE type IN ('record.synced', 'record.failed');

-- Fill from events already stored when this migration first runs; skipped when the table has rows.
INSERT INTO record_latest
SELECT
    tenant, integration, record_id,
    if(type = 'record.failed', toNullable(ts), NULL) AS first_failed_at,
    if(type = 'record.failed', ts, toDateTime64(0, 3, 'UTC')) AS last_failed_at,
    if(type = 'record.synced', ts, toDateTime64(0, 3, 'UTC')) AS last_synced_at,
    if(type = 'record.failed',
       concat(toString(ts), event_id, '\0', flow, '\0', currency, '\0', toString(has_value), '\0', toString(record_value)),
       '') AS last_failure
FROM events
WHERE type IN ('record.synced', 'record.failed') AND (SELECT count() FROM record_latest) = 0;
