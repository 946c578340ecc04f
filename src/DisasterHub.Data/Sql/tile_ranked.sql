-- The rows a live tile keeps at and above the cluster zoom (tile.sql's ranked CTE): each layer's @cap most severe.
-- They are ranked on their keys alone (layer, id, severity, observed_at), and only the kept ones are then read whole,
-- one lookup by id each (OFFSET 0 keeps it a per-row probe of the id index, whatever the estimates). Only the kept
-- rows are transformed and encoded.
-- The probe names the row's partition too (feature and merged_feature are partitioned by part: migrations 0060, 0061),
-- so each probe reads one partition's id index, pruned as it runs, not every partition's: 2,000 probes over the five
-- partitions of the bench's merged layer took 46 ms, naming the partition 17 ms.
--
-- At zoom 11 and more the candidates are every row the tile's envelope (with its margin) meets, through the GiST
-- index. At zoom 9 and 10 (the largest tiles that draw single features) a merged tile at national scale holds up to
-- 68,000 points: reading and sorting them all took ~85 ms of the densest tile. There the candidates come in three
-- parts (migration 0062):
--   - the tile's own points: for each of its z10 tiles (four for a z9 tile, itself for a z10 one), each layer's first
--     @cap in merged_feature_tile_rank, which keeps them in rank order (an index-only scan of ~@cap entries);
--   - the points of the neighbouring tiles in the margin: through the GiST index on the four strips of the margin;
--   - every other shape, through the GiST index of the rows that are not points (merged_feature_shapes).
-- Per-source rows have no rank_tile (rows_features.sql): the first two parts are then empty and the third is every
-- row, as at zoom 11. rank_tile is the z10 tile's row × 1024 + its column; 10 below is that zoom. The strips are
-- computed once (MATERIALIZED): inlined, their transforms ran again for every row a sequential scan of a small
-- partition read (20 ms for 1,000 rows).
ring AS MATERIALIZED (
    SELECT ST_MakeEnvelope(ST_XMin(b.env4326), ST_YMax(t.core), ST_XMax(b.env4326), ST_YMax(b.env4326), 4326) AS north,
           ST_MakeEnvelope(ST_XMin(b.env4326), ST_YMin(b.env4326), ST_XMax(b.env4326), ST_YMin(t.core), 4326) AS south,
           ST_MakeEnvelope(ST_XMin(b.env4326), ST_YMin(t.core), ST_XMin(t.core), ST_YMax(t.core), 4326) AS west,
           ST_MakeEnvelope(ST_XMax(t.core), ST_YMin(t.core), ST_XMax(b.env4326), ST_YMax(t.core), 4326) AS east
    FROM b CROSS JOIN LATERAL (SELECT ST_Transform(b.env, 4326) AS core) t
),
ranked AS (
    SELECT s.layer, s.id, s.name, s.status, s.severity, s.municipality_code, s.entity_key, s.sources, s.observed_at,
           s.stale, s.conflicts, s.evacuees, s.customers_out, s.geom, k.rn
    FROM (SELECT c.layer, c.id, c.part,
                 row_number() OVER (PARTITION BY c.layer ORDER BY c.severity DESC NULLS LAST, c.observed_at DESC) AS rn
          FROM (SELECT r.layer, r.id, r.part, r.severity, r.observed_at
                FROM ({rows}) r, b
                WHERE @z > 10 AND r.classification = ANY (@levels) AND r.geom && b.env4326
                UNION ALL
                SELECT t.*
                FROM (SELECT DISTINCT unnest(@layers::text[])) l(layer)
                CROSS JOIN (SELECT ((@y << (10 - @z)) + dy) * 1024 + (@x << (10 - @z)) + dx AS tile
                            FROM generate_series(0, (1 << greatest(10 - @z, 0)) - 1) dy,
                                 generate_series(0, (1 << greatest(10 - @z, 0)) - 1) dx
                            WHERE @z BETWEEN @cluster_zoom AND 10) q
                CROSS JOIN LATERAL (SELECT r.layer, r.id, r.part, r.severity, r.observed_at
                                    FROM ({rows}) r
                                    WHERE r.layer = l.layer AND r.rank_tile = q.tile AND r.classification = ANY (@levels)
                                    ORDER BY r.severity DESC NULLS LAST, r.observed_at DESC
                                    LIMIT @cap) t
                UNION ALL
                SELECT r.layer, r.id, r.part, r.severity, r.observed_at
                FROM ({rows}) r, ring g
                WHERE @z BETWEEN @cluster_zoom AND 10
                  AND NOT ((r.rank_tile / 1024) >> (10 - @z) = @y AND (r.rank_tile % 1024) >> (10 - @z) = @x)
                  AND r.classification = ANY (@levels)
                  AND (r.geom && g.north OR r.geom && g.south OR r.geom && g.west OR r.geom && g.east)
                UNION ALL
                SELECT r.layer, r.id, r.part, r.severity, r.observed_at
                FROM ({rows}) r, b
                WHERE @z BETWEEN @cluster_zoom AND 10 AND r.rank_tile IS NULL AND r.classification = ANY (@levels)
                  AND r.geom && b.env4326) c) k
    CROSS JOIN LATERAL (SELECT * FROM ({rows}) r WHERE r.id = k.id AND r.part = k.part AND r.layer = k.layer OFFSET 0) s
    WHERE k.rn <= @cap
)
