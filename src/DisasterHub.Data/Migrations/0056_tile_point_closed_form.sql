-- hub_tile_point (merged_feature's generated column tile_pt, and the request-time clustering of tile.sql and
-- tile_cells.sql) projects to web mercator with the spherical formula itself instead of ST_Transform.
--
-- ST_Transform goes through PROJ for every row, and the generated column is computed on every INSERT and UPDATE of
-- merged_feature. On 110,000 points (one parallel-free scan) ST_Transform took 165 ms and the formula 65 ms; of a
-- 110,000-row insert into merged_feature without indexes the column took ~0.1 s (739 ms without it, 848 ms with
-- ST_Transform). EPSG:3857 is the sphere of radius 6,378,137 m: x = R·λ, y = R·asinh(tan φ), which is what PROJ
-- computes for it; on the 110,000 GSI shelters of the bench every coordinate came out bit-identical to
-- ST_Transform's. Longitudes are within ±180° (the record checks' extents; PROJ would wrap others), and Z and M are
-- dropped (tile_pt is only read for its x and y).
--
-- Stored tile_pt values stay as they were computed: the cell index is on tile_pt itself, so its entries stay
-- consistent with the rows, and a row gets the new function's value the next time it is written.
-- Both functions are inlinable SQL and name their schemas (migration 0055: autovacuum and pg_restore run with a
-- search_path without them). The projection is a function of its own so a polygon's ST_PointOnSurface runs once (for
-- a point it is inlined too; for a polygon it runs as a call).
DO $do$
DECLARE
    pg text := (SELECT quote_ident(n.nspname) FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
                WHERE e.extname = 'postgis');
    hub text := quote_ident(current_schema());
BEGIN
    EXECUTE format($f$
        CREATE OR REPLACE FUNCTION %2$s.hub_mercator_point(p %1$s.geometry) RETURNS %1$s.geometry
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
            SELECT %1$s.ST_SetSRID(%1$s.ST_MakePoint(6378137 * radians(%1$s.ST_X(p)), 6378137 * asinh(tan(radians(%1$s.ST_Y(p))))), 3857)
        $$ $f$, pg, hub);
    EXECUTE format($f$
        CREATE OR REPLACE FUNCTION %2$s.hub_tile_point(g %1$s.geometry) RETURNS %1$s.geometry
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
            SELECT CASE WHEN %1$s.GeometryType(g) = 'POINT' THEN %2$s.hub_mercator_point(g)
                        ELSE %2$s.hub_mercator_point(%1$s.ST_PointOnSurface(g)) END
        $$ $f$, pg, hub);
END
$do$;
