-- One Mapbox Vector Tile: one MVT layer per EEI layer (named as the layer). The rows placeholder is filled with
-- one of the rows_* sets (per source or merged, now or as of). Polygons are simplified by zoom, each layer keeps at
-- most @cap features per tile (most severe first), and below @cluster_zoom points are clustered on a grid. Counts
-- are 64-bit through hub_count (migration 0010): a large or odd value never fails the tile.
WITH b AS (
    SELECT ST_TileEnvelope(@z, @x, @y) AS env,
           ST_Transform(ST_TileEnvelope(@z, @x, @y, margin => 64.0 / 4096), 4326) AS env4326
),
src AS (
    SELECT r.*, ST_Transform(r.geom, 3857) AS g3857
    FROM ({rows}) r, b
    WHERE r.classification = ANY (@levels) AND r.geom && b.env4326
),
detail AS (
    SELECT s.layer, s.id::text AS id, s.name, s.status, s.severity, s.municipality_code, s.entity_key,
           array_to_string(s.sources, ',') AS sources, s.observed_at::text AS observed_at, s.stale,
           jsonb_array_length(s.conflicts) AS conflicts,
           hub_count(s.attrs -> 'evacuees') AS evacuees,
           hub_count(s.attrs -> 'customers_out') AS customers_out,
           1 AS point_count,
           ST_AsMVTGeom(CASE WHEN GeometryType(s.g3857) IN ('POINT', 'MULTIPOINT') THEN s.g3857
                             ELSE ST_SimplifyPreserveTopology(s.g3857, @tolerance) END, b.env, 4096, 64, true) AS geom,
           row_number() OVER (PARTITION BY s.layer ORDER BY s.severity DESC NULLS LAST, s.observed_at DESC) AS rn
    FROM src s, b
    WHERE @z >= @cluster_zoom
),
clustered AS (
    SELECT c.layer, NULL::text AS id, CASE WHEN count(*) = 1 THEN min(c.name) END AS name, NULL::text AS status,
           max(c.severity) AS severity, NULL::text AS municipality_code, NULL::text AS entity_key, NULL::text AS sources,
           max(c.observed_at)::text AS observed_at, bool_and(c.stale) AS stale, 0 AS conflicts,
           hub_count_total(sum(hub_count(c.attrs -> 'evacuees'))) AS evacuees,
           hub_count_total(sum(hub_count(c.attrs -> 'customers_out'))) AS customers_out,
           count(*)::int AS point_count,
           ST_AsMVTGeom(ST_Centroid(ST_Collect(ST_PointOnSurface(c.g3857))), b.env, 4096, 64, true) AS geom,
           row_number() OVER (PARTITION BY c.layer ORDER BY max(c.severity) DESC NULLS LAST) AS rn
    FROM src c, b
    WHERE @z < @cluster_zoom
    GROUP BY c.layer, ST_SnapToGrid(ST_PointOnSurface(c.g3857), @cell), b.env
),
feats AS (
    SELECT * FROM detail WHERE geom IS NOT NULL AND rn <= @cap
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
