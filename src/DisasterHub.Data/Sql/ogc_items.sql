-- One GeoJSON Feature per row, built in PostGIS; the endpoint streams rows into a FeatureCollection.
-- The rows placeholder is filled with one of rows_features / rows_features_asof / rows_merged / rows_merged_asof;
-- {filter} with the request's CQL2 / property filters (Cql2Sql: parameters only, "AND (…)" or nothing) and {order}
-- with its sortby ("expr ASC NULLS LAST, " … or nothing); {bbox} and {id} with their conditions when the request has
-- them (FeatureQueries: not "@x IS NULL OR …", so a prepared statement's generic plan can use the indexes). @props (null = all) keeps only the named properties: header
-- fields by name, attributes by their key (kept under attrs), or attrs whole.
SELECT json_build_object(
    'type', 'Feature',
    'id', r.id,
    'geometry', ST_AsGeoJSON(r.geom, 7)::json,
    'properties', CASE WHEN @props::text[] IS NULL THEN x.p ELSE (
        SELECT coalesce(json_object_agg(e.key, e.value), '{}'::json)
        FROM (SELECT key, value FROM json_each(x.p) WHERE key = ANY (@props) AND key <> 'attrs'
              UNION ALL
              SELECT 'attrs', CASE WHEN 'attrs' = ANY (@props) THEN r.attrs::json
                                   ELSE (SELECT jsonb_object_agg(a.key, a.value) FROM jsonb_each(r.attrs) a WHERE a.key = ANY (@props))::json END
              WHERE 'attrs' = ANY (@props) OR r.attrs ?| @props) e) END,
    'links', json_build_array(
        json_build_object('href', @items_url || '/' || r.id, 'rel', 'self', 'type', 'application/geo+json'),
        json_build_object('href', @collection_url, 'rel', 'collection', 'type', 'application/json')))::text
FROM ({rows}) r,
LATERAL (SELECT json_build_object(
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
        -- each source's licence and credit, where its configuration states them (issue 15 item 7)
        'licenses', (SELECT json_agg(json_build_object('source', s.id, 'license', s.license, 'attribution', s.attribution) ORDER BY s.id)
                     FROM source s WHERE s.id = ANY (r.sources) AND (s.license IS NOT NULL OR s.attribution IS NOT NULL)),
        'attrs', r.attrs) AS p) x
WHERE r.classification = ANY (@levels)
  {bbox}
  {id}
  {filter}
ORDER BY {order}r.id
LIMIT @limit OFFSET @offset
