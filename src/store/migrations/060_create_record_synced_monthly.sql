-- record_synced_monthly: each record's last sync per calendar month (UTC), so value at
-- risk finds "the last sync before a cut-off" in at most one row per record and month,
-- not in every sync of the tenant's history (at 100 M events a record is synced about
-- fifteen times a month, and that scan grew with history: docs/decisions.md, "Value at
-- risk from a monthly sync rollup"). The last sync before a cut-off is the max of the
-- months before the cut-off's month here, and of the syncs in the cut-off's own month
-- before it from record_attempts (none when the cut-off is a month start, as for
-- monthly periods).
-- last_synced_at is a plain max (SimpleAggregateFunction): rows merge in any arrival
-- order and are read without FINAL; a re-inserted sync changes nothing, so the backfill
-- below may overlap the view and may be run again. record_key is the expression of
-- migrations 020/021 (joined with record_failures on it, so it must never differ).
-- The view does not pre-aggregate (retries rarely share an insert block); merges fold
-- the rows. Yearly partitions (a small table); the TTL follows events' 400 days.
CREATE TABLE IF NOT EXISTS record_synced_monthly (
    tenant LowCardinality(String),
    integration LowCardinality(String),
    record_key UInt128,
    month Date,
    last_synced_at SimpleAggregateFunction(max, DateTime64(3, 'UTC'))
) ENGINE = AggregatingMergeTree
PARTITION BY toYear(month)
ORDER BY (tenant, integration, record_key, month)
TTL toDateTime(last_synced_at) + toIntervalDay(400);

-- Idempotent flushes, as every view target (migration 025).
ALTER TABLE record_synced_monthly MODIFY SETTING non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS record_synced_monthly_mv TO record_synced_monthly AS
SELECT
    tenant, integration,
    bitOr(bitShiftLeft(toUInt128(cityHash64(tenant, integration, record_id)), 64), sipHash64(tenant, integration, record_id)) AS record_key,
    toStartOfMonth(ts) AS month,
    ts AS last_synced_at
FROM events
WHERE type = 'record.synced';

-- Fill from the syncs already stored (record_attempts holds record_key); idempotent, see above.
INSERT INTO record_synced_monthly
SELECT tenant, integration, record_key, toStartOfMonth(ts) AS month, max(ts) AS last_synced_at
FROM record_attempts
WHERE status = 'synced'
GROUP BY tenant, integration, record_key, month;
