-- Staged records that differ from the current state but are older than it: kept in history (ingest_versions), not
-- made current (ingest_features), and reported to the sender instead of a silent "changed: 0".
SELECT s.source_key, s.observed_at, f.observed_at
FROM staging s
JOIN feature f ON f.workspace = @workspace AND f.source_id = @source_id AND f.source_key = s.source_key
WHERE s.observed_at < f.observed_at
  AND (f.content_hash <> s.content_hash OR f.entity_key IS DISTINCT FROM s.entity_key)
ORDER BY s.source_key
