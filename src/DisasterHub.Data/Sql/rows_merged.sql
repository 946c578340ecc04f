-- The merged layers: one row per real-world thing, maintained at ingest; a row past its valid_until is inactive.
SELECT m.id, m.layer, m.entity_key, m.municipality_code, m.name, m.address, m.geom, m.status, m.severity,
       m.observed_at, m.received_at, m.classification, hub_visible_attrs(m.attrs, @hidden::jsonb, m.layer) AS attrs, m.sources, NULL::text AS source_key,
       hub_visible_conflicts(m.conflicts, @hidden::jsonb, m.layer) AS conflicts,
       hub_visible_provenance(hub_provenance(m.provenance, m.attrs, m.name, m.address, m.municipality_code, m.status, m.severity), @hidden::jsonb, m.layer) AS provenance, m.workspace,
       -- stale: none of its sources is fresh; the fresh sources are listed once per statement (an InitPlan), not
       -- looked up per row (68,000 lookups were most of a dense z9 tile's time at 1,000,000 features)
       NOT (m.sources && (SELECT coalesce(array_agg(s.id), '{}') FROM source s
                          WHERE s.last_success_at + make_interval(secs => s.expected_interval_seconds) >= @now)) AS stale,
       m.valid_from, m.valid_until
FROM merged_feature m
WHERE m.workspace = @workspace AND m.layer = ANY (@layers)
  AND (m.valid_until IS NULL OR m.valid_until > @now)
