-- The functions that merged_feature's generated column (tile_pt = hub_tile_point(geom)) and its cell index
-- (hub_tile_cell_x/y(tile_pt)) call now name PostGIS's functions with PostGIS's schema.
--
-- A SQL function's body is parsed when it runs, under the caller's search_path. Two callers run with a search_path
-- that leaves out the schema PostGIS is installed in:
-- - autovacuum: it evaluates index expressions to build statistics. Every automatic ANALYZE of merged_feature failed
--   with "function st_x(public.geometry) does not exist", so the table never had statistics (the hub's log showed
--   282 failures in one morning). Each page of the event stream was then read through the primary key, the whole
--   layer was sorted, and a page took 110–166 ms instead of 13 ms.
-- - pg_restore: it sets the search path to empty. CREATE TABLE merged_feature failed on its generated column, so a
--   pg_dump of a hub database could not be restored: the merged layer and everything that depends on it were missing.
-- The bodies are unchanged otherwise, so the stored tile_pt values and the index entries stay valid. They remain
-- inlinable SQL (a SET search_path clause would stop inlining).
DO $do$
DECLARE
    pg text := (SELECT quote_ident(n.nspname) FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
                WHERE e.extname = 'postgis');
BEGIN
    EXECUTE format($f$
        CREATE OR REPLACE FUNCTION hub_tile_point(g %1$s.geometry) RETURNS %1$s.geometry
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
            SELECT %1$s.ST_Transform(CASE WHEN %1$s.GeometryType(g) = 'POINT' THEN g ELSE %1$s.ST_PointOnSurface(g) END, 3857)
        $$ $f$, pg);
    EXECUTE format($f$
        CREATE OR REPLACE FUNCTION hub_tile_cell_x(p %1$s.geometry) RETURNS integer
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
            SELECT least(greatest(floor((%1$s.ST_X(p) + 20037508.342789244) / (40075016.68557849 / 4096)), 0), 4095)::integer
        $$ $f$, pg);
    EXECUTE format($f$
        CREATE OR REPLACE FUNCTION hub_tile_cell_y(p %1$s.geometry) RETURNS integer
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
            SELECT least(greatest(floor((20037508.342789244 - %1$s.ST_Y(p)) / (40075016.68557849 / 4096)), 0), 4095)::integer
        $$ $f$, pg);
END
$do$;
