-- Cluster mode only (CLICKHOUSE_CLUSTER): the alerting lease as a KeeperMap row, so
-- taking it over is a compare-and-set that Keeper makes linearisable (writes with
-- keeper_map_strict_mode = 1 fail when the row changed since it was read; an insert of
-- an existing key fails). The cluster-mode rewrite creates it on every host over one
-- Keeper path per database, so every host reads the same row. A single server keeps
-- alert_lease (migration 015): KeeperMap needs Keeper and keeper_map_path_prefix.
-- expires_at is in Unix milliseconds; version counts every write (the compare-and-set).
CREATE TABLE IF NOT EXISTS alert_lease_keeper (
    name String,
    holder String,
    expires_at UInt64,
    version UInt64
) ENGINE = KeeperMap PRIMARY KEY name;
