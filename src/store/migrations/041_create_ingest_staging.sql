-- ingest_staging: rows accepted by `api` processes (SYNCWATCH_ROLE=api), on their way to
-- the one writer of events, the worker holding the lease (src/ingest/staging.ts). With
-- one writer the de-duplication look-up in event_ids cannot race: two API processes
-- receiving the same ids at the same moment both stage them, and the worker stores
-- them once (docs/decisions.md, "Exact de-duplication across API processes").
-- batch_id is a hash of the batch's content, so a batch re-staged after a crash or a
-- retry is the same batch; batch_rows lets the worker take a batch only when all its
-- rows are in (an insert on a cluster lands shard by shard). Ordered by batch then
-- position, read one batch at a time; kept 2 days (drained within seconds normally).
CREATE TABLE IF NOT EXISTS ingest_staging (
    batch_id String,
    staged_at DateTime64(3, 'UTC'),
    seq UInt32,
    batch_rows UInt32,
    kind LowCardinality(String),
    tenant String,
    event_id String,
    lookup UInt8,
    row String
) ENGINE = MergeTree
ORDER BY (batch_id, seq)
TTL toDateTime(staged_at) + toIntervalDay(2);

-- ingest_staging_done: batches the worker has written to the store. Kept longer than
-- the staged rows, so a batch re-staged late is still recognised as written.
CREATE TABLE IF NOT EXISTS ingest_staging_done (
    batch_id String,
    done_at DateTime64(3, 'UTC')
) ENGINE = ReplacingMergeTree
ORDER BY batch_id
TTL toDateTime(done_at) + toIntervalDay(3);
