-- The sources stale at @now, with their layer: not a success within their expected interval (never one, or the last
-- too long ago) — the rule every read applies (rows_*.sql). ExpiryService compares each pass with the last one and
-- announces the layers of the sources that turned stale or fresh, since the clock alone (or a pull that changed
-- nothing) does that, and cached tiles and roll-ups would keep showing the old flag.
SELECT s.id, s.layer
FROM source s
WHERE s.last_success_at IS NULL OR s.last_success_at + make_interval(secs => s.expected_interval_seconds) < @now
