-- A tenant's notification subscriptions (emails, webhooks with their signing secrets,
-- categories, delivery mode, quiet hours) as one JSON document per tenant, replaced
-- whole by PUT. ReplacingMergeTree(version) keyed by tenant; readers take the newest
-- version. No TTL: a subscription lasts until it is changed.
-- Webhook secrets are stored as given (they are needed to sign); they never leave
-- through the API or the logs.
CREATE TABLE IF NOT EXISTS tenant_subscriptions (
    tenant String,
    subscription String,
    updated_at DateTime64(3, 'UTC'),
    version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY tenant;
