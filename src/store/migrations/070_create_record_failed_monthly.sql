-- record_failed_monthly: each record's last failure per calendar month (UTC), the
-- failure side of value at risk, as record_synced_monthly (migration 060) is its sync
-- side. Value at risk as of a cut-off needs each record's last failure before it (by
-- event time, then event id) with that failure's flow, currency and value; read from
-- record_failures it grouped every failure of the tenant's history and built a string
-- per failure at query time (bench/RESULTS.md, 100 M events). Here the months before
-- the cut-off's month are at most one row per record and month, the string built once
-- at insert; the cut-off's own month up to the cut-off is still read from
-- record_failures (nothing for a month-start cut-off, as for monthly periods).
-- last_failure is the text src/insights/value-at-risk.ts compares and reads back: the
-- failure's time (fixed width, so it sorts as time), event id, then record id, flow,
-- currency (empty without a value) and value, separated by NUL. Its max is the failure
-- that is last by (time, event id). Both columns are plain maxes
-- (SimpleAggregateFunction): rows merge in any arrival order and are read without FINAL;
-- a re-inserted failure changes nothing, so the backfill below may overlap the view and
-- may be run again. record_key is the expression of migrations 020/021 (joined with the
-- other record tables on it, so it must never differ).
-- Yearly partitions (a small table); the TTL follows events' 400 days.
CREATE TABLE IF NOT EXISTS record_failed_monthly (
    tenant LowCardinality(String),
    integration LowCardinality(String),
    record_key UInt128,
    month Date,
    last_failed_at SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
    last_failure SimpleAggregateFunction(max, String)
) ENGINE = AggregatingMergeTree
PARTITION BY toYear(month)
ORDER BY (tenant, integration, record_key, month)
TTL toDateTime(last_failed_at) + toIntervalDay(400);

-- Idempotent flushes, as every view target (migration 025).
ALTER TABLE record_failed_monthly MODIFY SETTING non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS record_failed_monthly_mv TO record_failed_monthly AS
SELECT
    tenant, integration,
    bitOr(bitShiftLeft(toUInt128(cityHash64(tenant, integration, record_id)), 64), sipHash64(tenant, integration, record_id)) AS record_key,
    toStartOfMonth(ts) AS month,
    ts AS last_failed_at,
    concat(toString(ts), event_id, '\0', record_id, '\0', flow, '\0', if(has_value = 1, currency, ''), '\0', toString(record_value)) AS last_failure
FROM events
WHERE type = 'record.failed';

-- Fill from the failures already stored (record_failures, migration 021); idempotent, see above.
INSERT INTO record_failed_monthly
SELECT tenant, integration, record_key, toStartOfMonth(ts) AS month, max(ts),
       max(concat(toString(ts), event_id, '\0', record_id, '\0', flow, '\0', if(has_value = 1, currency, ''), '\0', toString(record_value)))
FROM record_failures
GROUP BY tenant, integration, record_key, month;
