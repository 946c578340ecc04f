-- The merged layers as they stood at @at, from merged_feature_version: a state shows while it was valid.
SELECT v.merged_id AS id, v.layer, v.entity_key, v.municipality_code, v.name, v.address, v.geom, v.status, v.severity,
       v.observed_at, v.received_at, v.classification, hub_visible_attrs(v.attrs, @hidden::jsonb, v.layer) AS attrs,
       -- the counted attributes clusters sum, as the caller may see them (null when hidden): one key check each on the
       -- stored attributes, not a read of the filtered copy above, which is rebuilt for every row (issue 16: that was
       -- 1.2 s of a per-source z0 tile over 148,340 rows)
       CASE WHEN hub_hidden(@hidden::jsonb, v.layer, 'evacuees') THEN NULL ELSE hub_count(v.attrs -> 'evacuees') END AS evacuees,
       CASE WHEN hub_hidden(@hidden::jsonb, v.layer, 'customers_out') THEN NULL ELSE hub_count(v.attrs -> 'customers_out') END AS customers_out, v.sources, NULL::text AS source_key,
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
