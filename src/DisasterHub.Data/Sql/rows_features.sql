-- Current state of one EEI layer as each source reports it (per-source view); a record past its valid_until is
-- inactive (ValidityRule).
SELECT f.id, f.layer, f.entity_key, f.municipality_code, f.name, f.address, f.geom, f.status, f.severity,
       f.observed_at, f.received_at, f.classification, hub_visible_attrs(f.attrs, @hidden::jsonb, f.layer) AS attrs,
       -- the counted attributes clusters sum, as the caller may see them (null when hidden): one key check each on the
       -- stored attributes, not a read of the filtered copy above, which is rebuilt for every row (issue 16: that was
       -- 1.2 s of a per-source z0 tile over 148,340 rows)
       CASE WHEN hub_hidden(@hidden::jsonb, f.layer, 'evacuees') THEN NULL ELSE hub_count(f.attrs -> 'evacuees') END AS evacuees,
       CASE WHEN hub_hidden(@hidden::jsonb, f.layer, 'customers_out') THEN NULL ELSE hub_count(f.attrs -> 'customers_out') END AS customers_out, ARRAY[f.source_id] AS sources, f.source_key,
       '[]'::jsonb AS conflicts, '{}'::jsonb AS provenance, f.workspace,
       (s.last_success_at IS NULL OR s.last_success_at + make_interval(secs => s.expected_interval_seconds) < @now) AS stale,
       f.valid_from, f.valid_until,
       -- the partition the row is in (migration 0060): a probe by id names it (tile_ranked.sql)
       f.part,
       -- not kept for the per-source rows: every one of them is ranked through the geometry (tile_ranked.sql)
       NULL::integer AS rank_tile
FROM feature f JOIN source s ON s.id = f.source_id
WHERE f.workspace = @workspace AND f.layer = ANY (@layers)
  AND (f.valid_until IS NULL OR f.valid_until > @now)
