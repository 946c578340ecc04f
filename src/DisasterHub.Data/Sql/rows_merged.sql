-- The merged layers: one row per real-world thing, maintained at ingest; a row past its valid_until is inactive.
SELECT m.id, m.layer, m.entity_key, m.municipality_code, m.name, m.address, m.geom, m.status, m.severity,
       m.observed_at, m.received_at, m.classification, hub_visible_attrs(m.attrs, @hidden::jsonb, m.layer) AS attrs,
       -- the counted attributes clusters sum, as the caller may see them (null when hidden): one key check each on the
       -- stored attributes, not a read of the filtered copy above, which is rebuilt for every row (issue 16: that was
       -- 1.2 s of a per-source z0 tile over 148,340 rows)
       CASE WHEN hub_hidden(@hidden::jsonb, m.layer, 'evacuees') THEN NULL ELSE hub_count(m.attrs -> 'evacuees') END AS evacuees,
       CASE WHEN hub_hidden(@hidden::jsonb, m.layer, 'customers_out') THEN NULL ELSE hub_count(m.attrs -> 'customers_out') END AS customers_out, m.sources, NULL::text AS source_key,
       hub_visible_conflicts(m.conflicts, @hidden::jsonb, m.layer) AS conflicts,
       hub_visible_provenance(hub_provenance(m.provenance, m.attrs, m.name, m.address, m.municipality_code, m.status, m.severity), @hidden::jsonb, m.layer) AS provenance, m.workspace,
       -- stale: none of its sources is fresh. The fresh sources are read once per statement, not looked up per row
       -- (68,000 lookups were most of a dense z9 tile's time at 1,000,000 features): a row's first source is found in
       -- a hashed set of them (a hashed SubPlan), and only a row of several sources compares its array with their list
       -- (an InitPlan). An array overlap for every row was O(rows × fresh sources): with a source per municipality
       -- (1,918 sources), 3.4 of a 148,340-row roll-up's seconds.
       NOT (coalesce(m.sources[1] IN (SELECT s.id FROM source s
                                      WHERE s.last_success_at + make_interval(secs => s.expected_interval_seconds) >= @now), false)
            OR (cardinality(m.sources) > 1
                AND m.sources && (SELECT coalesce(array_agg(s.id), '{}') FROM source s
                                  WHERE s.last_success_at + make_interval(secs => s.expected_interval_seconds) >= @now))) AS stale,
       m.valid_from, m.valid_until
FROM merged_feature m
WHERE m.workspace = @workspace AND m.layer = ANY (@layers)
  AND (m.valid_until IS NULL OR m.valid_until > @now)
