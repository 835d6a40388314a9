-- Adoption (docs/api/adoption.md#how-it-stays-fast-and-exact), part 1: where each connection stands in the funnel.
--
-- adoption_lifecycle is a log of the connection lifecycle events only (integration.*):
-- a handful of rows per connection, so the funnel, installs and churn read O(connections)
-- rows however many run and record events there are. It is a log, not an argMaxState
-- per connection, because churn is "latest state as of `to`", which an all-time argMax
-- cannot answer for a past period; the first time of each step is min(ts), and min and
-- argMax are unaffected by a duplicate row, so queries need no FINAL. Ordered by
-- connection then time; ReplacingMergeTree on a key ending in event_id is the backstop
-- for a re-inserted event. Not partitioned (it is small) and no TTL: an install made
-- two years ago still defines today's installs and churn, after the raw events are gone.
CREATE TABLE IF NOT EXISTS adoption_lifecycle (
    integration LowCardinality(String),
    tenant LowCardinality(String),
    connection String,
    ts DateTime64(3, 'UTC'),
    type LowCardinality(String),
    event_id String
) ENGINE = ReplacingMergeTree
ORDER BY (integration, tenant, connection, ts, event_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS adoption_lifecycle_mv TO adoption_lifecycle AS
SELECT integration, tenant, connection, ts, type, event_id
FROM events
WHERE type LIKE 'integration.%';

-- Fill from events already stored when this migration first runs (start-up migrates
-- before ingest accepts anything); skipped when the table already has rows, so a re-run
-- cannot double anything.
INSERT INTO adoption_lifecycle
SELECT integration, tenant, connection, ts, type, event_id
FROM events
WHERE type LIKE 'integration.%' AND (SELECT count() FROM adoption_lifecycle) = 0;

-- adoption_first_success: the first successful run of each connection, one row per
-- connection once merged (min is exact for "first success before `to`" for any `to`).
-- Ordered by connection; no partition and no TTL for the same reasons as above.
CREATE TABLE IF NOT EXISTS adoption_first_success (
    integration LowCardinality(String),
    tenant LowCardinality(String),
    connection String,
    first_success_at SimpleAggregateFunction(min, DateTime64(3, 'UTC'))
) ENGINE = AggregatingMergeTree
ORDER BY (integration, tenant, connection);

CREATE MATERIALIZED VIEW IF NOT EXISTS adoption_first_success_mv TO adoption_first_success AS
SELECT integration, tenant, connection, min(ts) AS first_success_at
FROM events
WHERE type = 'run.succeeded'
GROUP BY integration, tenant, connection;

INSERT INTO adoption_first_success
SELECT integration, tenant, connection, min(ts) AS first_success_at
FROM events
WHERE type = 'run.succeeded' AND (SELECT count() FROM adoption_first_success) = 0
GROUP BY integration, tenant, connection;
