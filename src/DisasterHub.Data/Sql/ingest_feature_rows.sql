-- The staged records as rows of feature, the ingest's source, workspace, receipt and raw document on each:
-- ingest_features.sql upserts them, ingest_bulk_features.sql loads them into a source's fresh partition. @part is the
-- partition the source's rows are in (migration 0060: its id, or '' for the shared partition).
(part, layer, source_id, source_key, workspace, entity_key, name_key, municipality_code, name, address, geom, source_crs, status,
 severity, observed_at, reported_at, received_at, stale_after, classification, attrs, raw_document_id, content_hash,
 valid_from, valid_until)
SELECT @part, s.layer, @source_id, s.source_key, @workspace, s.entity_key, s.name_key, s.municipality_code, s.name, s.address,
       ST_GeomFromWKB(s.wkb, 4326), s.source_crs, s.status, s.severity, s.observed_at, s.reported_at, @received_at,
       @received_at + make_interval(secs => @expected_interval_seconds), s.classification, s.attrs, @raw_document_id,
       s.content_hash, s.valid_from, s.valid_until
FROM staging s
