-- Adoption (docs/api/adoption.md#how-it-stays-fast-and-exact), part 2: activity and volume over time.
--
-- adoption_active_daily: successful runs per connection per UTC day, with the first and
-- last success of the day. Keeping both ends makes "a successful run in [to - 7d, to)"
-- exact for any `to`, not just at midnight: on the first day only last_success_at >= start
-- matters, on the last day only first_success_at < to. Ordered by integration then day
-- (queries read a day range, optionally for one integration); monthly partitions and a
-- TTL equal to the raw events' retention. Sums assume ingest has de-duplicated (it has).
CREATE TABLE IF NOT EXISTS adoption_active_daily (
    integration LowCardinality(String),
    day Date,
    tenant LowCardinality(String),
    connection String,
    runs SimpleAggregateFunction(sum, UInt64),
    first_success_at SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
    last_success_at SimpleAggregateFunction(max, DateTime64(3, 'UTC'))
) ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (integration, day, tenant, connection)
TTL day + toIntervalDay(400);

CREATE MATERIALIZED VIEW IF NOT EXISTS adoption_active_daily_mv TO adoption_active_daily AS
SELECT integration, toDate(ts) AS day, tenant, connection,
       count() AS runs, min(ts) AS first_success_at, max(ts) AS last_success_at
FROM events
WHERE type = 'run.succeeded'
GROUP BY integration, day, tenant, connection;

INSERT INTO adoption_active_daily
SELECT integration, toDate(ts) AS day, tenant, connection,
       count() AS runs, min(ts) AS first_success_at, max(ts) AS last_success_at
FROM events
WHERE type = 'run.succeeded' AND (SELECT count() FROM adoption_active_daily) = 0
GROUP BY integration, day, tenant, connection;

-- adoption_moved_hourly: records synced and their value per integration, UTC hour and
-- currency. Value is summed in integer micro-units so the total is exact whatever order
-- rows are added in (a Float64 sum is not). Hourly, so a period's partial first and last
-- hours are read from raw events and the rest from here. Ordered by integration then
-- hour; monthly partitions; TTL equal to the raw events' retention.
CREATE TABLE IF NOT EXISTS adoption_moved_hourly (
    integration LowCardinality(String),
    hour DateTime('UTC'),
    currency LowCardinality(String),
    records UInt64,
    value_micros Int64
) ENGINE = SummingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (integration, hour, currency)
TTL hour + toIntervalDay(400);

CREATE MATERIALIZED VIEW IF NOT EXISTS adoption_moved_hourly_mv TO adoption_moved_hourly AS
SELECT integration, toStartOfHour(ts) AS hour, currency,
       count() AS records, sum(toInt64(round(record_value * 1000000))) AS value_micros
FROM events
WHERE type = 'record.synced'
GROUP BY integration, hour, currency;

INSERT INTO adoption_moved_hourly
SELECT integration, toStartOfHour(ts) AS hour, currency,
       count() AS records, sum(toInt64(round(record_value * 1000000))) AS value_micros
FROM events
WHERE type = 'record.synced' AND (SELECT count() FROM adoption_moved_hourly) = 0
GROUP BY integration, hour, currency;
