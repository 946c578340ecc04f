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
       -- stale: none of its sources is fresh. A row's first source is found in a hashed set of the fresh sources,
       -- read once per statement (a hashed SubPlan); a row of several sources looks the others up by key. Comparing
       -- every row's array with the list of fresh sources (an InitPlan) was O(rows × fresh sources): with a source per
       -- municipality (1,918), 3.4 s of a 148,340-row roll-up, and 8 s for rows of three sources. A lookup per row for
       -- every source (as before that list) costs ~2 µs a row: most of a dense z9 tile's time when tiles read every row.
       NOT (coalesce(m.sources[1] IN (SELECT s.id FROM source s
                                      WHERE s.last_success_at + make_interval(secs => s.expected_interval_seconds) >= @now), false)
            OR (cardinality(m.sources) > 1
                AND EXISTS (SELECT 1 FROM source s WHERE s.id = ANY (m.sources[2:])
                            AND s.last_success_at + make_interval(secs => s.expected_interval_seconds) >= @now))) AS stale,
       m.valid_from, m.valid_until,
       -- the partition the row is in (migration 0061): a probe by id names it (tile_ranked.sql)
       m.part,
       -- a point's z10 tile (migration 0062): tiles of zoom 9 and 10 rank their points from an index (tile_ranked.sql)
       m.rank_tile
FROM merged_feature m
WHERE m.workspace = @workspace AND m.layer = ANY (@layers)
  AND (m.valid_until IS NULL OR m.valid_until > @now)
