-- failure_retryable: whether waiting and trying again can help this failure (a rate
-- limit or an outage: yes; a rejected record or a revoked credential: no), decided by
-- the classification rule that gave the category and code. One byte per row, DEFAULT 0:
-- rows written before this column (and successes) read as "not retryable", which is what
-- an unclassified row means. No change to the ORDER BY, partitioning or TTL of events.
ALTER TABLE events ADD COLUMN IF NOT EXISTS failure_retryable UInt8 DEFAULT 0;
