-- Deliveries due now, locked for this node (another node skips them), oldest first.
SELECT d.id, d.subscription_id, d.change_seq, d.payload, d.attempts, s.webhook_url, s.secret
FROM subscription_delivery d JOIN subscription s ON s.id = d.subscription_id
WHERE d.status = 'pending' AND d.next_attempt_at <= @now AND s.disabled_at IS NULL
ORDER BY d.next_attempt_at, d.id
LIMIT @batch
FOR UPDATE OF d SKIP LOCKED
