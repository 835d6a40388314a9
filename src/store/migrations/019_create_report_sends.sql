-- Scheduled value reports already handled (docs/api/reports.md#the-schedule): one row per (kind, period,
-- tenant) once the report was handed to the outbox, or deliberately skipped (a quiet
-- tenant). The scheduler reads the rows of one (kind, period) to know which tenants are
-- done, so that is the key order; a restart or a second worker never sends a period twice.
-- ReplacingMergeTree(handled_at): writing a row again is harmless (readers only ask
-- whether one exists). Small (a row per tenant per week); not partitioned; kept 800 days,
-- longer than the longest period a report can be scheduled for.
CREATE TABLE IF NOT EXISTS report_sends (
    kind LowCardinality(String),
    period String,
    tenant String,
    outcome LowCardinality(String),
    message_ids Array(String),
    targets UInt16,
    handled_at DateTime64(3, 'UTC')
) ENGINE = ReplacingMergeTree(handled_at)
ORDER BY (kind, period, tenant)
TTL toDateTime(handled_at) + toIntervalDay(800);
