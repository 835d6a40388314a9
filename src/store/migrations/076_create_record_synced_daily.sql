-- record_synced_daily: each record's last sync per UTC day, so value at risk as of a
-- cut-off inside a month reads the cut-off month's whole days before the cut-off's day
-- here, and only the cut-off's own day from events. Before, it read every sync of the
-- month up to the cut-off from events (record_events, hashing record_key per row): a
-- rolling window (the default /v1/value "last 30 days") had cut-offs mid-month and cost
-- ~150 ms of its ~300 ms at 100 M events (bench/RESULTS.md). Whole months still come from
-- record_synced_monthly (migration 060); this table is read only for the cut-off's month.
-- Ordered by day after the tenant, so a month's days are one range of the key (the reads
-- are "this tenant, these days"); monthly partitions; the TTL follows events' 400 days.
-- last_synced_at is a plain max (SimpleAggregateFunction): rows merge in any arrival
-- order and are read without FINAL; a re-inserted sync changes nothing, so the backfill
-- below may overlap the view and may be run again. record_key is the expression of
-- migrations 020/021/060 (joined with the failure side on it, so it must never differ).
CREATE TABLE IF NOT EXISTS record_synced_daily (
    tenant LowCardinality(String),
    day Date,
    integration LowCardinality(String),
    record_key UInt128,
    last_synced_at SimpleAggregateFunction(max, DateTime64(3, 'UTC'))
) ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (tenant, day, integration, record_key)
TTL toDateTime(last_synced_at) + toIntervalDay(400);

-- Idempotent flushes, as every view target (migration 025).
ALTER TABLE record_synced_daily MODIFY SETTING non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS record_synced_daily_mv TO record_synced_daily AS
SELECT
    tenant,
    toDate(ts) AS day,
    integration,
    bitOr(bitShiftLeft(toUInt128(cityHash64(tenant, integration, record_id)), 64), sipHash64(tenant, integration, record_id)) AS record_key,
    ts AS last_synced_at
FROM events
WHERE type = 'record.synced';

-- Fill from the syncs already stored; idempotent, see above. One row per sync, as the
-- view writes them (merges fold them): grouping here would hold a group per record and
-- day of the whole history in memory at once.
INSERT INTO record_synced_daily
SELECT tenant, toDate(ts) AS day, integration,
       bitOr(bitShiftLeft(toUInt128(cityHash64(tenant, integration, record_id)), 64), sipHash64(tenant, integration, record_id)) AS record_key,
       ts AS last_synced_at
FROM events
WHERE type = 'record.synced';
