-- told_size: the alert's size (records failed in its window, or a partner incident's
-- tenants) in the last firing or update message to this target. Routing sends an update
-- when a firing group has grown enough from it (docs/alerts.md#messages-that-stay-current).
-- DEFAULT 0: rows written before this column read as "size unknown", which sends no update
-- until the next firing message records one.
ALTER TABLE alert_notify_log ADD COLUMN IF NOT EXISTS told_size Float64 DEFAULT 0;
