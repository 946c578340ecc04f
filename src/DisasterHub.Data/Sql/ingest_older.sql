-- Staged records that differ from the current state but are older than it (out of order): their states never become
-- current (ingest_features) and are kept in feature_past only (migration 0049; the unique state key makes a re-sent
-- document a no-op); every one of them — also one that differs only by its entity — is answered to the sender instead
-- of a silent "changed: 0". One pass over staging and the current states for both.
WITH older AS (
    SELECT s.*, f.observed_at AS current_observed_at, f.content_hash <> s.content_hash AS new_state
    FROM staging s
    JOIN feature f ON f.part = @part AND f.workspace = @workspace AND f.source_id = @source_id AND f.source_key = s.source_key
    WHERE s.observed_at < f.observed_at
      AND (f.content_hash <> s.content_hash OR f.entity_key IS DISTINCT FROM s.entity_key)
),
kept AS (
    INSERT INTO feature_past (layer, source_id, source_key, workspace, entity_key, municipality_code, name, address,
                              geom, source_crs, status, severity, observed_at, reported_at, received_at,
                              classification, attrs, raw_document_id, content_hash, valid_from, valid_until)
    SELECT o.layer, @source_id, o.source_key, @workspace, o.entity_key, o.municipality_code, o.name, o.address,
           ST_GeomFromWKB(o.wkb, 4326), o.source_crs, o.status, o.severity, o.observed_at, o.reported_at, @received_at,
           o.classification, o.attrs, @raw_document_id, o.content_hash, o.valid_from, o.valid_until
    FROM older o
    WHERE o.new_state
    ON CONFLICT (workspace, source_id, source_key, observed_at, content_hash) DO NOTHING
)
SELECT source_key, observed_at, current_observed_at FROM older ORDER BY source_key
