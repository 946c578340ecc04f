-- The merged layers: one row per real-world thing, maintained at ingest.
SELECT m.id, m.layer, m.entity_key, m.municipality_code, m.name, m.address, m.geom, m.status, m.severity,
       m.observed_at, m.received_at, m.classification, m.attrs, m.sources, NULL::text AS source_key,
       m.conflicts, m.provenance, m.workspace,
       NOT EXISTS (SELECT 1 FROM source s WHERE s.id = ANY (m.sources)
                   AND s.last_success_at + make_interval(secs => s.expected_interval_seconds) >= @now) AS stale
FROM merged_feature m
WHERE m.workspace = @workspace AND m.layer = ANY (@layers)
