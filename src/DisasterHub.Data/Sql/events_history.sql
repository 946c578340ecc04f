-- What changed in the merged layers after @at (events replayed from history before going live), one page after the
-- cursor (@after_at, @after_id): the stream reads page by page, never the whole history at once.
SELECT v.id, v.received_at, json_build_object(
    'type', 'Feature',
    'id', v.merged_id,
    'geometry', ST_AsGeoJSON(v.geom, 7)::json,
    'properties', json_build_object(
        'layer', v.layer, 'entity_key', v.entity_key, 'name', v.name, 'municipality_code', v.municipality_code,
        'status', v.status, 'severity', v.severity, 'observed_at', v.observed_at, 'received_at', v.received_at,
        'sources', v.sources, 'conflicts', hub_visible_conflicts(v.conflicts, @hidden::jsonb, v.layer), 'attrs', hub_visible_attrs(v.attrs, @hidden::jsonb, v.layer), 'version', v.version, 'deleted', v.deleted,
        'valid_from', v.valid_from, 'valid_until', v.valid_until))::text
FROM merged_feature_version v
WHERE v.workspace = @workspace AND v.received_at > @at AND (v.received_at, v.id) > (@after_at, @after_id)
  AND v.layer = ANY (@layers)
  AND v.classification = ANY (@levels)
  AND (NOT @has_bbox OR v.geom && ST_MakeEnvelope(@minx, @miny, @maxx, @maxy, 4326))
ORDER BY v.received_at, v.id
LIMIT @page
