-- A layer per source as the hub knew it at @at: of what had been received by then, the newest observation per key.
SELECT v.id, v.layer, v.entity_key, v.municipality_code, v.name, v.address, v.geom, v.status, v.severity,
       v.observed_at, v.received_at, v.classification, v.attrs, ARRAY[v.source_id] AS sources, v.source_key,
       '[]'::jsonb AS conflicts, '{}'::jsonb AS provenance, v.workspace,
       (v.received_at + make_interval(secs => s.expected_interval_seconds) < @at) AS stale
FROM (
    SELECT DISTINCT ON (fv.source_id, fv.source_key)
           md5(fv.source_id || '/' || fv.source_key)::uuid AS id, fv.*
    FROM feature_version fv
    WHERE fv.workspace = @workspace AND fv.layer = ANY (@layers) AND fv.received_at <= @at
    ORDER BY fv.source_id, fv.source_key, fv.observed_at DESC, fv.received_at DESC, fv.id DESC
) v JOIN source s ON s.id = v.source_id
