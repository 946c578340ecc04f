-- One GeoJSON Feature per row, built in PostGIS; the endpoint streams rows into a FeatureCollection.
SELECT json_build_object(
    'type', 'Feature',
    'id', f.id,
    'geometry', ST_AsGeoJSON(f.geom, 7)::json,
    'properties', json_build_object(
        'layer', f.layer,
        'name', f.name,
        'address', f.address,
        'municipality_code', f.municipality_code,
        'status', f.status,
        'severity', f.severity,
        'observed_at', f.observed_at,
        'reported_at', f.reported_at,
        'received_at', f.received_at,
        'stale', (s.last_success_at IS NULL OR s.last_success_at + make_interval(secs => s.expected_interval_seconds) < @now),
        'source_id', f.source_id,
        'source_key', f.source_key,
        'entity_key', f.entity_key,
        'source_crs', f.source_crs,
        'classification', f.classification,
        'workspace', f.workspace,
        'version', f.version,
        'attrs', f.attrs))::text
FROM feature f
JOIN source s ON s.id = f.source_id
WHERE f.workspace = @workspace AND f.layer = @layer AND f.classification = ANY (@levels)
  AND (NOT @has_bbox OR f.geom && ST_MakeEnvelope(@minx, @miny, @maxx, @maxy, 4326))
  AND (@id::uuid IS NULL OR f.id = @id::uuid)
ORDER BY f.id
LIMIT @limit OFFSET @offset
