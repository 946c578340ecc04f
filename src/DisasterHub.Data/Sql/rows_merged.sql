-- The merged layers: one row per real-world thing, maintained at ingest; a row past its valid_until is inactive.
SELECT m.id, m.layer, m.entity_key, m.municipality_code, m.name, m.address, m.geom, m.status, m.severity,
       m.observed_at, m.received_at, m.classification, (m.attrs - ARRAY(SELECT jsonb_array_elements_text(@hidden::jsonb -> m.layer))) AS attrs, m.sources, NULL::text AS source_key,
       (SELECT coalesce(jsonb_agg(c), '[]'::jsonb) FROM jsonb_array_elements(m.conflicts) c WHERE NOT (c ->> 'field') = ANY (ARRAY(SELECT 'attrs.' || jsonb_array_elements_text(@hidden::jsonb -> m.layer)))) AS conflicts,
       (m.provenance - ARRAY(SELECT 'attrs.' || jsonb_array_elements_text(@hidden::jsonb -> m.layer))) AS provenance, m.workspace,
       NOT EXISTS (SELECT 1 FROM source s WHERE s.id = ANY (m.sources)
                   AND s.last_success_at + make_interval(secs => s.expected_interval_seconds) >= @now) AS stale,
       m.valid_from, m.valid_until
FROM merged_feature m
WHERE m.workspace = @workspace AND m.layer = ANY (@layers)
  AND (m.valid_until IS NULL OR m.valid_until > @now)
