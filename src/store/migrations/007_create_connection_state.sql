-- The latest state of each connection and each flow, all time (not windowed), so the
-- health status rules read one row per connection / flow however much history exists.
-- Every "latest" is argMax by (event time, event_id): events may arrive out of order
-- and insert order means nothing. Queries GROUP BY the key (merges are eventual).
-- Neither table is partitioned and neither has a TTL: they hold one row per connection
-- or flow, and "disabled since March" must outlive the raw events.

-- connection_state: the latest lifecycle state (enabled / disabled / uninstalled) and
-- the latest authorisation event (auth.expired / auth.refreshed / integration.authorized:
-- re-authorising clears an expiry). Fed only by those events, so it stays tiny.
CREATE TABLE IF NOT EXISTS connection_state (
    tenant LowCardinality(String),
    integration LowCardinality(String),
    connection String,
    lifecycle AggregateFunction(argMaxIf, Tuple(String, DateTime64(3, 'UTC')), Tuple(DateTime64(3, 'UTC'), String), UInt8),
    auth AggregateFunction(argMaxIf, Tuple(String, DateTime64(3, 'UTC')), Tuple(DateTime64(3, 'UTC'), String), UInt8)
) ENGINE = AggregatingMergeTree
ORDER BY (tenant, integration, connection);

CREATE MATERIALIZED VIEW IF NOT EXISTS connection_state_mv TO connection_state AS
SELECT
    tenant, integration, connection,
    argMaxIfState((toString(type), ts), (ts, event_id),
        type IN ('integration.enabled', 'integration.disabled', 'integration.uninstalled')) AS lifecycle,
    argMaxIfState((toString(type), ts), (ts, event_id),
        type IN ('auth.expired', 'auth.refreshed', 'integration.authorized')) AS auth
FROM events
WHERE type IN ('integration.enabled', 'integration.disabled', 'integration.uninstalled',
               'auth.expired', 'auth.refreshed', 'integration.authorized')
GROUP BY tenant, integration, connection;

INSERT INTO connection_state
SELECT
    tenant, integration, connection,
    argMaxIfState((toString(type), ts), (ts, event_id),
        type IN ('integration.enabled', 'integration.disabled', 'integration.uninstalled')),
    argMaxIfState((toString(type), ts), (ts, event_id),
        type IN ('auth.expired', 'auth.refreshed', 'integration.authorized'))
FROM events
WHERE type IN ('integration.enabled', 'integration.disabled', 'integration.uninstalled',
               'auth.expired', 'auth.refreshed', 'integration.authorized')
  AND (SELECT count() FROM connection_state) = 0
GROUP BY tenant, integration, connection;

-- flow_state: per flow, first activity, last run and last success, the 20 most recent
-- ended runs (newest first: sorted by negated time; enough for "the last N runs failed"
-- and the median of the last 10 run intervals), and the latest record outcome.
CREATE TABLE IF NOT EXISTS flow_state (
    tenant LowCardinality(String),
    integration LowCardinality(String),
    connection String,
    flow LowCardinality(String),
    first_seen_at SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
    last_run_at SimpleAggregateFunction(max, Nullable(DateTime64(3, 'UTC'))),
    last_success_at SimpleAggregateFunction(max, Nullable(DateTime64(3, 'UTC'))),
    recent_runs AggregateFunction(groupArraySortedIf(20), Tuple(Int64, String, String, String, String, String), UInt8),
    last_record AggregateFunction(argMaxIf, Tuple(String, String, String, String), Tuple(DateTime64(3, 'UTC'), String), UInt8)
) ENGINE = AggregatingMergeTree
ORDER BY (tenant, integration, connection, flow);

CREATE MATERIALIZED VIEW IF NOT EXISTS flow_state_mv TO flow_state AS
SELECT
    tenant, integration, connection, flow,
    min(ts) AS first_seen_at,
    maxOrNullIf(ts, type LIKE 'run.%') AS last_run_at,
    maxOrNullIf(ts, type = 'run.succeeded') AS last_success_at,
    groupArraySortedIfState(20)(
        (-toUnixTimestamp64Milli(ts), run, replaceOne(type, 'run.', ''), toString(failure_category), toString(failure_code), substringUTF8(message, 1, 200)),
        type IN ('run.succeeded', 'run.failed')) AS recent_runs,
    argMaxIfState((replaceOne(type, 'record.', ''), toString(failure_category), toString(failure_code), substringUTF8(message, 1, 200)), (ts, event_id),
        type LIKE 'record.%') AS last_record
FROM events
WHERE type LIKE 'run.%' OR type LIKE 'record.%'
GROUP BY tenant, integration, connection, flow;

INSERT INTO flow_state
SELECT
    tenant, integration, connection, flow,
    min(ts),
    maxOrNullIf(ts, type LIKE 'run.%'),
    maxOrNullIf(ts, type = 'run.succeeded'),
    groupArraySortedIfState(20)(
        (-toUnixTimestamp64Milli(ts), run, replaceOne(type, 'run.', ''), toString(failure_category), toString(failure_code), substringUTF8(message, 1, 200)),
        type IN ('run.succeeded', 'run.failed')),
    argMaxIfState((replaceOne(type, 'record.', ''), toString(failure_category), toString(failure_code), substringUTF8(message, 1, 200)), (ts, event_id),
        type LIKE 'record.%')
FROM events
WHERE (type LIKE 'run.%' OR type LIKE 'record.%') AND (SELECT count() FROM flow_state) = 0
GROUP BY tenant, integration, connection, flow;
