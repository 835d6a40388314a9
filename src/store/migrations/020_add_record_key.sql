-- record_key: one fixed-width number per record (tenant, integration, record_id), so
-- value at risk can group record attempts by record without hashing strings per row (on
-- 10 M events that hashing was most of the query; see docs/decisions.md). 128 bits,
-- from two hash functions whose results ClickHouse keeps stable across versions
-- (cityHash64, sipHash64): rows written by different engine versions must agree, and
-- two records sharing a key is then not a practical concern.
-- MATERIALIZED: computed on insert (the materialised view from events needs no change)
-- and left out of SELECT *. The ORDER BY, partitioning and TTL of record_attempts stay
-- as they are; rows already stored get the column by the MATERIALIZE mutation, and read
-- it from the expression until then, so answers are right either way.
ALTER TABLE record_attempts
    ADD COLUMN IF NOT EXISTS record_key UInt128
    MATERIALIZED bitOr(bitShiftLeft(toUInt128(cityHash64(tenant, integration, record_id)), 64), sipHash64(tenant, integration, record_id));

ALTER TABLE record_attempts MATERIALIZE COLUMN record_key;
