-- When each record last failed, last synced and first failed, per (tenant, integration,
-- record_id): the index behind value at risk (a record is at risk when its latest
-- failure is newer than its latest sync; skips neither put it at risk nor clear it).
-- Plain max/min columns (SimpleAggregateFunction) rather than argMaxState tuples: they
-- merge in any arrival order, scan fast, and only narrow the candidates — the value and
-- currency of a candidate's latest failed attempt, with the event-id tie-break, are read
-- from record_attempts by primary key. first_failed_at lets "at risk as of a past time"
-- skip records that had not failed by then.
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
    last_synced_at SimpleAggregateFunction(max, DateTime64(3, 'UTC'))
) ENGINE = AggregatingMergeTree
ORDER BY (tenant, integration, record_id)
TTL toDateTime(greatest(last_failed_at, last_synced_at)) + toIntervalDay(400);

CREATE MATERIALIZED VIEW IF NOT EXISTS record_latest_mv TO record_latest AS
SELECT
    tenant, integration, record_id,
    if(type = 'record.failed', toNullable(ts), NULL) AS first_failed_at,
    if(type = 'record.failed', ts, toDateTime64(0, 3, 'UTC')) AS last_failed_at,
    if(type = 'record.synced', ts, toDateTime64(0, 3, 'UTC')) AS last_synced_at
FROM events
WHERE type IN ('record.synced', 'record.failed');

-- Fill from events already stored when this migration first runs; skipped when the table has rows.
INSERT INTO record_latest
SELECT
    tenant, integration, record_id,
    if(type = 'record.failed', toNullable(ts), NULL) AS first_failed_at,
    if(type = 'record.failed', ts, toDateTime64(0, 3, 'UTC')) AS last_failed_at,
    if(type = 'record.synced', ts, toDateTime64(0, 3, 'UTC')) AS last_synced_at
FROM events
WHERE type IN ('record.synced', 'record.failed') AND (SELECT count() FROM record_latest) = 0;
