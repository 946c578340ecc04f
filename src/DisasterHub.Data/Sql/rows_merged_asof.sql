-- The merged layers as they stood at @at, from merged_feature_version: a state shows while it was valid.
SELECT v.merged_id AS id, v.layer, v.entity_key, v.municipality_code, v.name, v.address, v.geom, v.status, v.severity,
       v.observed_at, v.received_at, v.classification, hub_visible_attrs(v.attrs, @hidden::jsonb, v.layer) AS attrs, v.sources, NULL::text AS source_key,
       hub_visible_conflicts(v.conflicts, @hidden::jsonb, v.layer) AS conflicts,
       hub_visible_provenance(hub_provenance(v.provenance, v.attrs, v.name, v.address, v.municipality_code, v.status, v.severity), @hidden::jsonb, v.layer) AS provenance, v.workspace,
       NOT EXISTS (SELECT 1 FROM source s WHERE s.id = ANY (v.sources)
                   AND v.received_at + make_interval(secs => s.expected_interval_seconds) >= @at) AS stale,
       v.valid_from, v.valid_until
FROM (
    SELECT DISTINCT ON (layer, entity_key) *
    FROM merged_feature_version
    WHERE workspace = @workspace AND layer = ANY (@layers) AND received_at <= @at
    ORDER BY layer, entity_key, received_at DESC, id DESC
) v
WHERE NOT v.deleted AND (v.valid_until IS NULL OR v.valid_until > @at)
