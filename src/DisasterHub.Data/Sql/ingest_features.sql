-- Current state: idempotent on (workspace, source_id, source_key) — with part, the partition every row of the source is
-- in (migration 0060), as a partitioned table's unique key must have it; an older observed_at never overwrites a newer one,
-- and identical content is a no-op. New content opens a new version (a new history_id): the trigger of migration 0049
-- closes the state it replaces into feature_past. A record that only moves to another entity keeps its version.
INSERT INTO feature
{feature_rows}
ON CONFLICT (workspace, source_id, source_key, part) DO UPDATE SET
    layer = EXCLUDED.layer, entity_key = EXCLUDED.entity_key, name_key = EXCLUDED.name_key, municipality_code = EXCLUDED.municipality_code,
    name = EXCLUDED.name, address = EXCLUDED.address, geom = EXCLUDED.geom, source_crs = EXCLUDED.source_crs,
    status = EXCLUDED.status, severity = EXCLUDED.severity, observed_at = EXCLUDED.observed_at,
    reported_at = EXCLUDED.reported_at, received_at = EXCLUDED.received_at, stale_after = EXCLUDED.stale_after,
    classification = EXCLUDED.classification, attrs = EXCLUDED.attrs, raw_document_id = EXCLUDED.raw_document_id,
    content_hash = EXCLUDED.content_hash, valid_from = EXCLUDED.valid_from, valid_until = EXCLUDED.valid_until,
    version = feature.version + 1,
    history_id = CASE WHEN feature.content_hash <> EXCLUDED.content_hash THEN nextval('feature_history_id_seq') ELSE feature.history_id END
WHERE (feature.content_hash <> EXCLUDED.content_hash OR feature.entity_key IS DISTINCT FROM EXCLUDED.entity_key)
  AND EXCLUDED.observed_at >= feature.observed_at
