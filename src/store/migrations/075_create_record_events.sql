-- record_events: the record events as a plain view over events, in place of the
-- record_attempts table (migration 004), which was a near-copy of every record event
-- ordered by (tenant, record_id), filled by record_attempts_mv. That view cost about
-- 3.5 s of insert time per million events, the most of any (bench/RESULTS.md, "views"),
-- for look-ups that events answers itself: the tenant is the first column of its key,
-- and the bloom filter on record_id (idx_record, migration 002) skips the granules
-- without the record, which stay few because a record's attempts sit in one flow, close
-- in time. The window reads (value at risk's own month, failing records) filter on
-- tenant and time, which events orders better than record_attempts did. See
-- docs/decisions.md, "record_events: record look-ups read events".
-- The columns are record_attempts' (status from the type, record_key the expression of
-- migration 020, computed on read: it must equal the record_key of record_failures and
-- record_synced_monthly, migrations 021 and 060), so readers changed only the name. A new
-- name, not a view called record_attempts: re-running every migration (they are all
-- idempotent) re-creates record_attempts and its view in 004 before this drops them.
-- Nothing is lost by dropping the table: it held only rows derived from events, under
-- the same TTL. A plain view cannot be read with FINAL; the one reader that needs exact
-- rows (records.attempts) reads events FINAL itself.
DROP VIEW IF EXISTS record_attempts_mv;

DROP TABLE IF EXISTS record_attempts;

CREATE VIEW IF NOT EXISTS record_events AS
SELECT
    tenant, record_id, integration, connection, flow, ts, run,
    replaceOne(type, 'record.', '') AS status,
    record_type, record_value, has_value, currency,
    failure_category, failure_code, message, event_id,
    bitOr(bitShiftLeft(toUInt128(cityHash64(tenant, integration, record_id)), 64), sipHash64(tenant, integration, record_id)) AS record_key
FROM events
WHERE type IN ('record.synced', 'record.failed', 'record.skipped');
