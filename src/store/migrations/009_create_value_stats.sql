-- Record outcomes and money per (tenant, integration, flow, record_type, currency, day):
-- what /v1/value reads for money moved, records moved and time saved. A month for one
-- tenant is a few hundred rows however many events there are. record_type is in the key
-- because time saved is configured per record type; currency because money is summed per
-- currency (converted to the reporting currency at query time, so a rate change applies
-- to history too). Records without a value have currency ''.
-- Money is Decimal128(6), not Float64: decimal sums are exact and independent of the
-- order rows are merged in, so the rollup equals a recomputation from raw rows to the
-- last digit. Values beyond ±1e18 (absurd for one record) count as 0 rather than failing
-- the insert. Whole days are read here; the partial days at the edges of a window are
-- read from events. Yearly partitions (the table is small); TTL follows events.
CREATE TABLE IF NOT EXISTS value_stats (
    tenant LowCardinality(String),
    integration LowCardinality(String),
    flow LowCardinality(String),
    record_type LowCardinality(String),
    currency LowCardinality(String),
    day Date,
    synced SimpleAggregateFunction(sum, UInt64),
    synced_value SimpleAggregateFunction(sum, Decimal128(6)),
    failed SimpleAggregateFunction(sum, UInt64),
    skipped SimpleAggregateFunction(sum, UInt64)
) ENGINE = AggregatingMergeTree
PARTITION BY toYear(day)
ORDER BY (tenant, integration, flow, record_type, currency, day)
TTL day + toIntervalDay(400);

CREATE MATERIALIZED VIEW IF NOT EXISTS value_stats_mv TO value_stats AS
SELECT
    tenant, integration, flow, record_type, currency,
    toDate(ts) AS day,
    countIf(type = 'record.synced') AS synced,
    sumIf(toDecimal128(if(abs(record_value) < 1e18, record_value, 0), 6), type = 'record.synced') AS synced_value,
    countIf(type = 'record.failed') AS failed,
    countIf(type = 'record.skipped') AS skipped
FROM events
WHERE type IN ('record.synced', 'record.failed', 'record.skipped')
GROUP BY tenant, integration, flow, record_type, currency, day;

-- Fill from events already stored when this migration first runs; skipped when the table has rows.
INSERT INTO value_stats
SELECT
    tenant, integration, flow, record_type, currency,
    toDate(ts) AS day,
    countIf(type = 'record.synced') AS synced,
    sumIf(toDecimal128(if(abs(record_value) < 1e18, record_value, 0), 6), type = 'record.synced') AS synced_value,
    countIf(type = 'record.failed') AS failed,
    countIf(type = 'record.skipped') AS skipped
FROM events FINAL
WHERE type IN ('record.synced', 'record.failed', 'record.skipped') AND (SELECT count() FROM value_stats) = 0
GROUP BY tenant, integration, flow, record_type, currency, day;
