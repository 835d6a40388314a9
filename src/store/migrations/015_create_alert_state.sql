-- The alerting worker's own state, read whole at start so a restart neither re-notifies
-- every firing alert nor forgets one that must still be resolved.

-- alert_state: one row per alert fingerprint, rewritten with a higher version on every
-- change (ReplacingMergeTree(version) keeps the newest; readers take argMax(…, version)
-- rather than trusting merges). Ordered by fingerprint, the only key it is read by. Not
-- partitioned: it holds one live row per alert. The TTL forgets alerts untouched for
-- 90 days (every older version of a row is older still, so none can resurface).
CREATE TABLE IF NOT EXISTS alert_state (
    fingerprint String,
    rule LowCardinality(String),
    tenant LowCardinality(String),
    integration LowCardinality(String),
    flow LowCardinality(String),
    severity LowCardinality(String),
    category LowCardinality(String),
    status LowCardinality(String),
    fired_at Nullable(DateTime64(3, 'UTC')),
    resolved_at Nullable(DateTime64(3, 'UTC')),
    updated_at DateTime64(3, 'UTC'),
    alert String,
    version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY fingerprint
TTL toDateTime(updated_at) + toIntervalDay(90);

-- alert_notify_log: per alert and delivery target (route, receiver, target), when the
-- firing and the resolve were last handed to the outbox; per tenant, the last daily
-- digest. Routing derives what is still owed from it, so a crash between the outbox and
-- this log re-plans the same messages with the same ids (the outbox de-duplicates them).
CREATE TABLE IF NOT EXISTS alert_notify_log (
    key String,
    fingerprint String,
    firing_at Nullable(DateTime64(3, 'UTC')),
    resolved_at Nullable(DateTime64(3, 'UTC')),
    updated_at DateTime64(3, 'UTC')
) ENGINE = ReplacingMergeTree(updated_at)
ORDER BY key
TTL toDateTime(updated_at) + toIntervalDay(90);

-- alert_lease: which worker evaluates and dispatches (docs/alerts.md#scheduling-and-the-lease).
-- One row per lease name; the highest version is the current holder. ClickHouse has no
-- transactions, so this is a best-effort lease: that section gives its limits.
CREATE TABLE IF NOT EXISTS alert_lease (
    name String,
    holder String,
    expires_at DateTime64(3, 'UTC'),
    version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY name;

-- alert_inbox: event-rule observations made by a process that is not the lease holder
-- (an API process, or a standby worker) for the holder to apply at its next tick.
-- Ordered by time, the holder reads what is newer than its cursor; kept 7 days.
CREATE TABLE IF NOT EXISTS alert_inbox (
    ts DateTime64(3, 'UTC'),
    id String,
    observations String
) ENGINE = MergeTree
ORDER BY (ts, id)
TTL toDateTime(ts) + toIntervalDay(7);
