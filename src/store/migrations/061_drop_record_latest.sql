-- record_latest (migration 010) is no longer read: value at risk reads record_failures
-- and record_synced_monthly (migrations 021, 060), and so does the status page's list of
-- failing records since migration 061. Its view cost about 2 s of insert time per
-- million events (bench/RESULTS.md, "views"), so it goes, with its table. Nothing else
-- depends on it; every figure it fed is recomputed from the tables above.
DROP VIEW IF EXISTS record_latest_mv;

DROP TABLE IF EXISTS record_latest;
