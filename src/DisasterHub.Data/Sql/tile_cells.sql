-- One Mapbox Vector Tile below the cluster zoom for the live layers: the precomputed cells inside the tile (tile_cell
-- for the merged layers, migration 0016; feature_tile_cell for the per-source ones, 0063), plus the rows with a
-- validity end that are valid at @now (they are not in the cells), grouped into this zoom's 16 × 16 clusters
-- (cell >> @shift). A tile reads a few hundred to a few thousand cell rows however many features there are. Same
-- output as tile.sql's clusters: one MVT layer per EEI layer, most severe first, at most @cap per layer; counts 64-bit;
-- a counted attribute hidden from the caller stays null.
WITH b AS (
    SELECT ST_TileEnvelope(@z, @x, @y) AS env, ST_Transform(ST_TileEnvelope(@z, @x, @y), 4326) AS env4326
),
members AS (
    SELECT c.layer, c.cx, c.cy, c.n, c.max_severity, c.max_observed_at, c.name, c.evacuees, c.customers_out, c.sx, c.sy,
           NOT EXISTS (SELECT 1 FROM source s WHERE s.id = ANY (c.sources)
                       AND s.last_success_at + make_interval(secs => s.expected_interval_seconds) >= @now) AS stale
    FROM {cells} c
    WHERE c.workspace = @workspace AND c.layer = ANY (@layers) AND c.classification = ANY (@levels)
      AND c.cx BETWEEN @cx0 AND @cx1 AND c.cy BETWEEN @cy0 AND @cy1
    UNION ALL
    SELECT r.layer, hub_tile_cell_x(p), hub_tile_cell_y(p), 1, r.severity, r.observed_at, r.name,
           r.evacuees, r.customers_out, ST_X(p), ST_Y(p), r.stale
    FROM ({rows}) r CROSS JOIN b CROSS JOIN LATERAL hub_tile_point(r.geom) p
    WHERE r.valid_until IS NOT NULL AND r.classification = ANY (@levels) AND r.geom && b.env4326
      AND hub_tile_cell_x(p) BETWEEN @cx0 AND @cx1 AND hub_tile_cell_y(p) BETWEEN @cy0 AND @cy1
),
clustered AS (
    SELECT m.layer, NULL::text AS id, CASE WHEN sum(m.n) = 1 THEN min(m.name) END AS name, NULL::text AS status,
           max(m.max_severity) AS severity, NULL::text AS municipality_code, NULL::text AS entity_key, NULL::text AS sources,
           max(m.max_observed_at)::text AS observed_at, bool_and(m.stale) AS stale, 0 AS conflicts,
           CASE WHEN hub_hidden(@hidden::jsonb, m.layer, 'evacuees') THEN NULL
                ELSE hub_count_total(sum(m.evacuees)) END AS evacuees,
           CASE WHEN hub_hidden(@hidden::jsonb, m.layer, 'customers_out') THEN NULL
                ELSE hub_count_total(sum(m.customers_out)) END AS customers_out,
           least(sum(m.n), 2147483647)::int AS point_count,
           ST_AsMVTGeom(ST_SetSRID(ST_MakePoint(sum(m.sx) / sum(m.n), sum(m.sy) / sum(m.n)), 3857), b.env, 4096, 64, true) AS geom,
           row_number() OVER (PARTITION BY m.layer ORDER BY max(m.max_severity) DESC NULLS LAST) AS rn
    FROM members m CROSS JOIN b
    GROUP BY m.layer, m.cx >> @shift, m.cy >> @shift, b.env
)
SELECT coalesce(string_agg(mvt, ''::bytea), ''::bytea)
FROM (
    SELECT ST_AsMVT(q, q.layer, 4096, 'geom') AS mvt
    FROM (SELECT layer, id, name, status, severity, municipality_code, entity_key, sources, observed_at, stale, conflicts,
                 evacuees, customers_out, point_count, geom
          FROM clustered WHERE geom IS NOT NULL AND rn <= @cap) q
    GROUP BY q.layer
) t
