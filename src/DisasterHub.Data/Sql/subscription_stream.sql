-- The next page of a subscription's matches for its event stream (any delivery kind: a webhook subscription's
-- deliveries can be streamed too), after the delivery id the client last saw.
SELECT d.id, d.kind, d.payload
FROM subscription_delivery d
WHERE d.subscription_id = @id AND d.id > @after
ORDER BY d.id
LIMIT @page
