-- run_ends and run_failed: what "partial runs" of health need (runs that ended in a
-- window, by their last run.succeeded/run.failed event, whose outcome is succeeded and
-- which have at least one failed record), read in time bounded by the window instead of
-- by every run seen since the window began (the runs table is ordered by run, so a
-- window across all tenants grouped every run of the month: bench/RESULTS.md, 100 M
-- events).
-- run_ends: every run.succeeded, run.failed and (run) record.failed event, ordered by
-- hour first. A run that ended in [from, to) has its last terminal event there, and
-- every terminal event that could be later is at or after `from`: so these rows from
-- `from` on, grouped by run, give each run's exact end and outcome (argMax by event
-- time, then event id, as the runs table), and most runs' failed records too.
-- kind: 2 run.succeeded, 1 run.failed, 0 record.failed. Plain MergeTree: ingest
-- de-duplicates first, and max and argMax are unaffected by a duplicate anyway.
-- run_failed: one key per run that has a failed record (record.failed at any time,
-- arriving before or after the run's end), for the runs whose failed records are all
-- older than the window: a key look-up. Small granules (256 rows) so a look-up of a few
-- keys reads a few granules, not the table.
-- run_key is a 128-bit hash of (tenant, integration, connection, flow, run), the runs
-- table's key, built like record_key (migration 020). last_failed_at only sets the TTL.
-- Both follow events' 400-day TTL.
CREATE TABLE IF NOT EXISTS run_ends (
    hour DateTime('UTC'),
    run_key UInt128,
    tenant LowCardinality(String),
    integration LowCardinality(String),
    flow LowCardinality(String),
    connection String,
    ts DateTime64(3, 'UTC'),
    event_id String,
    kind UInt8
) ENGINE = MergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (hour, run_key)
TTL hour + toIntervalDay(400);

-- Idempotent flushes, as every view target (migration 025).
ALTER TABLE run_ends MODIFY SETTING non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS run_ends_mv TO run_ends AS
SELECT
    toStartOfHour(ts) AS hour,
    bitOr(bitShiftLeft(toUInt128(cityHash64(tenant, integration, connection, flow, run)), 64), sipHash64(tenant, integration, connection, flow, run)) AS run_key,
    tenant, integration, flow, connection, ts, event_id,
    multiIf(type = 'run.succeeded', 2, type = 'run.failed', 1, 0) AS kind
FROM events
WHERE run != '' AND type IN ('run.succeeded', 'run.failed', 'record.failed');

-- Fill from events already stored when this migration first runs; skipped when the table has rows.
INSERT INTO run_ends
SELECT
    toStartOfHour(ts) AS hour,
    bitOr(bitShiftLeft(toUInt128(cityHash64(tenant, integration, connection, flow, run)), 64), sipHash64(tenant, integration, connection, flow, run)) AS run_key,
    tenant, integration, flow, connection, ts, event_id,
    multiIf(type = 'run.succeeded', 2, type = 'run.failed', 1, 0) AS kind
FROM events
WHERE run != '' AND type IN ('run.succeeded', 'run.failed', 'record.failed') AND (SELECT count() FROM run_ends) = 0;

CREATE TABLE IF NOT EXISTS run_failed (
    run_key UInt128,
    last_failed_at SimpleAggregateFunction(max, DateTime64(3, 'UTC'))
) ENGINE = AggregatingMergeTree
ORDER BY run_key
TTL toDateTime(last_failed_at) + toIntervalDay(400)
SETTINGS index_granularity = 256;

-- Idempotent flushes, as every view target (migration 025).
ALTER TABLE run_failed MODIFY SETTING non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS run_failed_mv TO run_failed AS
SELECT
    bitOr(bitShiftLeft(toUInt128(cityHash64(tenant, integration, connection, flow, run)), 64), sipHash64(tenant, integration, connection, flow, run)) AS run_key,
    max(ts) AS last_failed_at
FROM events
WHERE run != '' AND type = 'record.failed'
GROUP BY run_key;

-- Fill from the runs table (migration 005), whose rows count each run's failed records:
-- a run has one when any of its rows does. last_failed_at is then the row's last event
-- (at or after the failure; it only sets the TTL). A plain max: may overlap the view and
-- may be run again.
INSERT INTO run_failed
SELECT
    bitOr(bitShiftLeft(toUInt128(cityHash64(tenant, integration, connection, flow, run)), 64), sipHash64(tenant, integration, connection, flow, run)) AS run_key,
    max(last_seen_at)
FROM runs
WHERE records_failed > 0
GROUP BY run_key;
