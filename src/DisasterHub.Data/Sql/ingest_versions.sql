-- History of states that never become current (migration 0049): a staged record that differs from the current state
-- but is older than it (out of order) is kept in feature_past and not made current (ingest_features). Every other
-- changed record becomes current in ingest_features, which closes the state it replaces into feature_past; a new one
-- is written once. The unique state key makes a re-sent document a no-op.
INSERT INTO feature_past (layer, source_id, source_key, workspace, entity_key, municipality_code, name, address,
                          geom, source_crs, status, severity, observed_at, reported_at, received_at,
                          classification, attrs, raw_document_id, content_hash, valid_from, valid_until)
SELECT s.layer, @source_id, s.source_key, @workspace, s.entity_key, s.municipality_code, s.name, s.address,
       ST_GeomFromWKB(s.wkb, 4326), s.source_crs, s.status, s.severity, s.observed_at, s.reported_at, @received_at,
       s.classification, s.attrs, @raw_document_id, s.content_hash, s.valid_from, s.valid_until
FROM staging s
JOIN feature f ON f.workspace = @workspace AND f.source_id = @source_id AND f.source_key = s.source_key
WHERE f.content_hash <> s.content_hash AND s.observed_at < f.observed_at
ON CONFLICT (workspace, source_id, source_key, observed_at, content_hash) DO NOTHING
