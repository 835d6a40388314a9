-- slack_messages: which Slack message a group's messages edit (docs/notify.md#slack-app),
-- per (group, target) key (a hash; never the token in clear). Kept in the store, not in
-- the sending process, so a restart or a hand-over of the alerting lease edits the same
-- message instead of posting a second one. A resolved group's row is overwritten with an
-- empty ts (the next episode posts anew); the newest version wins. Rows of groups that
-- never resolved expire with the notify log (90 days).
CREATE TABLE IF NOT EXISTS slack_messages (
    key String,
    slack_channel String,
    ts String,
    updated_at DateTime64(3, 'UTC')
) ENGINE = ReplacingMergeTree(updated_at)
ORDER BY key
TTL toDateTime(updated_at) + toIntervalDay(90);
