-- Subscriptions delivered as a filtered event stream instead of a webhook (issue 15 item 5): such a subscription has
-- no webhook URL; its matches are kept as deliveries with status 'stream', read by GET /api/v1/subscriptions/{id}/events
-- and never POSTed.
ALTER TABLE subscription ALTER COLUMN webhook_url DROP NOT NULL;
ALTER TABLE subscription_delivery DROP CONSTRAINT subscription_delivery_status_check;
ALTER TABLE subscription_delivery ADD CONSTRAINT subscription_delivery_status_check CHECK (status IN ('pending', 'delivered', 'dead', 'stream'));
CREATE INDEX subscription_delivery_stream ON subscription_delivery (subscription_id, id);
