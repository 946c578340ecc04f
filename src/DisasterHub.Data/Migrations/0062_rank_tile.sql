-- Live tiles of zoom 9 and 10 rank each layer's points from an index, reading ~2,000 entries a layer instead of every
-- point in the tile (issue 16: the 1,000,000-feature scale point's z9 and z10 p95).
--
-- At and above the cluster zoom (9) a tile keeps each layer's 2,000 most severe rows (tile_ranked.sql). The densest
-- z9 tile of the bench holds 68,000 points. Found through the GiST index, each was read from the heap for its layer,
-- severity and time, then all were sorted: ~85 ms of the tile's ~155 ms in SQL, even with the rows in spatial order.
--
-- rank_tile is the z10 tile a point lies in (its row from the north × 1024 + its column), null for any other shape.
-- The index below keeps each z10 tile's points per layer in rank order, with the columns the ranking filters on, so a
-- z10 tile takes each layer's first 2,000 entries of its own by an index-only scan, and a z9 tile those of its four
-- (once VACUUM has marked the pages all-visible, which autovacuum does after inserts). The 64/4096 margin around a
-- tile holds points of the neighbouring tiles: those come through the GiST index on its four thin strips (~3 % of
-- the rows), and shapes through a GiST index of the rows that are not points (merged_feature_shapes). Tiles of zoom
-- 11 and more, smaller, still match their rows through the GiST index.
-- It is a stored generated column, so every write of a geometry keeps it (the merges, the bulk path's
-- LIKE … INCLUDING GENERATED, location fixes). 1024 is 2^10, the zoom tile_ranked.sql reads it at.
DO $do$
DECLARE
    pg text := (SELECT quote_ident(n.nspname) FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
                WHERE e.extname = 'postgis');
    hub text := quote_ident(current_schema());
BEGIN
    -- the tile cells' own grid (hub_tile_cell_x/_y of hub_mercator_point: migrations 0016, 0055, 0056) is the z12
    -- tiles, so a point's z10 tile is its cell >> 2: one projection for both, and a z10 tile's rows are exactly its
    -- cells' (measured: ~1.0 µs a row against ~0.7 µs for the projection written out again here)
    EXECUTE format($f$
        CREATE FUNCTION %2$s.hub_rank_tile(g %1$s.geometry) RETURNS integer
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
            SELECT CASE WHEN %1$s.GeometryType(g) = 'POINT' THEN
                (%2$s.hub_tile_cell_y(%2$s.hub_mercator_point(g)) >> 2) * 1024 + (%2$s.hub_tile_cell_x(%2$s.hub_mercator_point(g)) >> 2) END
        $$ $f$, pg, hub);
END
$do$;

ALTER TABLE merged_feature ADD COLUMN rank_tile integer GENERATED ALWAYS AS (hub_rank_tile(geom)) STORED;

-- in the order a tile ranks (tile_ranked.sql), carrying what rows_merged.sql and the ranking filter on and the id and
-- partition the kept rows are then read by
CREATE INDEX merged_feature_tile_rank ON merged_feature (workspace, layer, rank_tile, severity DESC NULLS LAST, observed_at DESC)
    INCLUDE (classification, valid_until, id, part) WHERE rank_tile IS NOT NULL;
CREATE INDEX merged_feature_shapes ON merged_feature USING gist (geom) WHERE rank_tile IS NULL;
