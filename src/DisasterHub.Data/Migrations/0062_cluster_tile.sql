-- A live tile at the cluster zoom (z9) ranks each layer's points from an index, reading ~2,000 entries instead of every
-- point in the tile (issue 16: the 1,000,000-feature scale point's z9 p95).
--
-- At and above the cluster zoom a tile keeps each layer's 2,000 most severe rows (tile_ranked.sql). The densest z9 tile
-- of the bench holds 68,000 points. Found through the GiST index, each was read from the heap for its layer, severity
-- and time, then all were sorted: ~85 ms of the tile's ~155 ms in SQL, even with the rows in spatial order.
--
-- cluster_tile is the z9 tile a point lies in (row from the north × 512 + column), null for any other shape. The index
-- below keeps each tile's points per layer in rank order, with the columns the ranking filters on, so a z9 tile takes
-- each layer's first 2,000 entries of its own tile by an index-only scan (once VACUUM has marked the pages all-visible,
-- which autovacuum does after inserts). The 64/4096 margin around the tile holds points of the neighbouring tiles:
-- those are found through the GiST index on four thin strips (~3 % of the rows), and shapes through a GiST index of
-- the rows that are not points (merged_feature_shapes).
-- It is a stored generated column, so every write of a geometry keeps it (the merges, the bulk path's
-- LIKE … INCLUDING GENERATED, location fixes). 512 is 2^9, TileQueries.ClusterBelowZoom: a change of the cluster zoom
-- needs a migration of this column. Zoom 10 and above still match the rows through the GiST index.
DO $do$
DECLARE
    pg text := (SELECT quote_ident(n.nspname) FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
                WHERE e.extname = 'postgis');
    hub text := quote_ident(current_schema());
BEGIN
    -- the same Web Mercator as hub_mercator_point (0056), as a fraction of the world from the west and from the north
    EXECUTE format($f$
        CREATE FUNCTION %2$s.hub_cluster_tile(g %1$s.geometry) RETURNS integer
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
            SELECT CASE WHEN %1$s.GeometryType(g) = 'POINT' THEN
                least(greatest(floor((1 - asinh(tan(radians(%1$s.ST_Y(g)))) / pi()) / 2 * 512), 0), 511)::integer * 512
                + least(greatest(floor((%1$s.ST_X(g) + 180) / 360 * 512), 0), 511)::integer END
        $$ $f$, pg, hub);
END
$do$;

ALTER TABLE merged_feature ADD COLUMN cluster_tile integer GENERATED ALWAYS AS (hub_cluster_tile(geom)) STORED;

-- in the order a tile ranks (tile_ranked.sql), carrying what rows_merged.sql and the ranking filter on and the id and
-- partition the kept rows are then read by
CREATE INDEX merged_feature_cluster_rank ON merged_feature (workspace, layer, cluster_tile, severity DESC NULLS LAST, observed_at DESC)
    INCLUDE (classification, valid_until, id, part) WHERE cluster_tile IS NOT NULL;
CREATE INDEX merged_feature_shapes ON merged_feature USING gist (geom) WHERE cluster_tile IS NULL;
