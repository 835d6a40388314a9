-- Idempotent flushes. ClickHouse drops an inserted block whose checksum matches one of
-- the last N blocks of the table (non_replicated_deduplication_window; replicated
-- tables always do), and, with deduplicate_blocks_in_dependent_materialized_views (set
-- by both drivers on every insert), each view's target deduplicates the block derived
-- from it too. So a flush retried with the same rows — after a crash between the insert
-- and the id record, or after a later table refused — changes no table or rollup.
-- 10,000 blocks cover hours of flushes at the default batch settings.
ALTER TABLE events MODIFY SETTING non_replicated_deduplication_window = 10000;
ALTER TABLE otel_traces MODIFY SETTING non_replicated_deduplication_window = 10000;
ALTER TABLE record_attempts MODIFY SETTING non_replicated_deduplication_window = 10000;
ALTER TABLE runs MODIFY SETTING non_replicated_deduplication_window = 10000;
ALTER TABLE flow_stats MODIFY SETTING non_replicated_deduplication_window = 10000;
ALTER TABLE connection_state MODIFY SETTING non_replicated_deduplication_window = 10000;
ALTER TABLE flow_state MODIFY SETTING non_replicated_deduplication_window = 10000;
ALTER TABLE failure_stats MODIFY SETTING non_replicated_deduplication_window = 10000;
ALTER TABLE failure_log MODIFY SETTING non_replicated_deduplication_window = 10000;
ALTER TABLE value_stats MODIFY SETTING non_replicated_deduplication_window = 10000;
ALTER TABLE record_latest MODIFY SETTING non_replicated_deduplication_window = 10000;
ALTER TABLE adoption_lifecycle MODIFY SETTING non_replicated_deduplication_window = 10000;
ALTER TABLE adoption_first_success MODIFY SETTING non_replicated_deduplication_window = 10000;
ALTER TABLE adoption_active_daily MODIFY SETTING non_replicated_deduplication_window = 10000;
ALTER TABLE adoption_moved_hourly MODIFY SETTING non_replicated_deduplication_window = 10000;
ALTER TABLE record_failures MODIFY SETTING non_replicated_deduplication_window = 10000;
ALTER TABLE activity_log MODIFY SETTING non_replicated_deduplication_window = 10000;
