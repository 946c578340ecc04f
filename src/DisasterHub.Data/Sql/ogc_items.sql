-- One GeoJSON Feature per row, built in PostGIS; the endpoint streams rows into a FeatureCollection.
-- The rows placeholder is filled with one of rows_features / rows_features_asof / rows_merged / rows_merged_asof.
SELECT json_build_object(
    'type', 'Feature',
    'id', r.id,
    'geometry', ST_AsGeoJSON(r.geom, 7)::json,
    'properties', json_build_object(
        'layer', r.layer,
        'name', r.name,
        'address', r.address,
        'municipality_code', r.municipality_code,
        'status', r.status,
        'severity', r.severity,
        'observed_at', r.observed_at,
        'received_at', r.received_at,
        'stale', r.stale,
        'valid_from', r.valid_from,
        'valid_until', r.valid_until,
        'source_id', r.sources[1],
        'sources', r.sources,
        'source_key', r.source_key,
        'entity_key', r.entity_key,
        'classification', r.classification,
        'workspace', r.workspace,
        'conflicts', r.conflicts,
        'provenance', r.provenance,
        'attrs', r.attrs))::text
FROM ({rows}) r
WHERE r.classification = ANY (@levels)
  AND (NOT @has_bbox OR r.geom && ST_MakeEnvelope(@minx, @miny, @maxx, @maxy, 4326))
  AND (@id::uuid IS NULL OR r.id = @id::uuid)
  AND (@p_status::text IS NULL OR r.status = @p_status)
  AND (@p_municipality_code::text IS NULL OR r.municipality_code = @p_municipality_code)
  AND (@p_severity::int IS NULL OR r.severity = @p_severity)
  AND (@p_name::text IS NULL OR r.name = @p_name)
  AND (@p_entity_key::text IS NULL OR r.entity_key = @p_entity_key)
ORDER BY r.id
LIMIT @limit OFFSET @offset
