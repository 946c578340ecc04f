-- One Mapbox Vector Tile: one MVT layer per EEI layer (named as the layer). The rows placeholder is filled with
-- one of the rows_* sets (per source or merged, now or as of). Polygons are simplified by zoom, each layer keeps at
-- most @cap features per tile (most severe first), and below @cluster_zoom points are clustered on a grid. Counts
-- are 64-bit through hub_count (migration 0010): a large or odd value never fails the tile.
-- The margin is cut to the world before the envelope goes to WGS84: past ±180° it would wrap around, and the
-- envelope of a tile on the antimeridian (every tile over Japan at z1–z3) would cover the other side of the world.
WITH b AS (
    SELECT ST_TileEnvelope(@z, @x, @y) AS env,
           ST_Transform(ST_Intersection(ST_TileEnvelope(@z, @x, @y, margin => 64.0 / 4096), ST_TileEnvelope(0, 0, 0)), 4326) AS env4326
),
-- At and above the cluster zoom each layer keeps its @cap most severe features: the ranked CTE is tile_ranked.sql (now) or
-- tile_ranked_asof.sql (as of an instant), either giving the kept rows with their rank rn.
{ranked},
detail AS (
    SELECT s.layer, s.id::text AS id, s.name, s.status, s.severity, s.municipality_code, s.entity_key,
           array_to_string(s.sources, ',') AS sources, s.observed_at::text AS observed_at, s.stale,
           jsonb_array_length(s.conflicts) AS conflicts,
           -- the rows sets' own counted columns (hidden ones null), not the visible attributes: a kept row's attrs
           -- were detoasted by its probe only for these two keys, ~10 µs a row (a 2,000-feature z11 tile: 52 → 35 ms)
           s.evacuees,
           s.customers_out,
           1 AS point_count,
           ST_AsMVTGeom(CASE WHEN GeometryType(s.geom) IN ('POINT', 'MULTIPOINT') THEN ST_Transform(s.geom, 3857)
                             ELSE ST_SimplifyPreserveTopology(ST_Transform(s.geom, 3857), @tolerance) END, b.env, 4096, 64, true) AS geom,
           s.rn
    FROM ranked s, b
    WHERE s.rn <= @cap
),
-- the request-time clustering the precomputed cells stand for (tile_cells.sql, migration 0016): the same grid (the
-- 4096-cell grid of hub_tile_cell_x/_y, cells >> @shift, only cells inside the tile) and the same point (the mean
-- of the members' hub_tile_point), so a tile as of an instant and the live one group alike
clustered AS (
    SELECT c.layer, NULL::text AS id, CASE WHEN count(*) = 1 THEN min(c.name) END AS name, NULL::text AS status,
           max(c.severity) AS severity, NULL::text AS municipality_code, NULL::text AS entity_key, NULL::text AS sources,
           max(c.observed_at)::text AS observed_at, bool_and(c.stale) AS stale, 0 AS conflicts,
           hub_count_total(sum(c.evacuees)) AS evacuees,
           hub_count_total(sum(c.customers_out)) AS customers_out,
           count(*)::int AS point_count,
           ST_AsMVTGeom(ST_SetSRID(ST_MakePoint(avg(ST_X(p)), avg(ST_Y(p))), 3857), b.env, 4096, 64, true) AS geom,
           row_number() OVER (PARTITION BY c.layer ORDER BY max(c.severity) DESC NULLS LAST) AS rn
    FROM ({rows}) c CROSS JOIN b CROSS JOIN LATERAL hub_tile_point(c.geom) p
    WHERE @z < @cluster_zoom AND c.classification = ANY (@levels) AND c.geom && b.env4326
      AND hub_tile_cell_x(p) BETWEEN @cx0 AND @cx1 AND hub_tile_cell_y(p) BETWEEN @cy0 AND @cy1
    GROUP BY c.layer, hub_tile_cell_x(p) >> @shift, hub_tile_cell_y(p) >> @shift, b.env
),
feats AS (
    SELECT * FROM detail WHERE geom IS NOT NULL
    UNION ALL
    SELECT * FROM clustered WHERE geom IS NOT NULL AND rn <= @cap
)
SELECT coalesce(string_agg(mvt, ''::bytea), ''::bytea)
FROM (
    SELECT ST_AsMVT(q, q.layer, 4096, 'geom') AS mvt
    FROM (SELECT layer, id, name, status, severity, municipality_code, entity_key, sources, observed_at, stale, conflicts,
                 evacuees, customers_out, point_count, geom FROM feats) q
    GROUP BY q.layer
) t
