-- The rows a live tile keeps at and above the cluster zoom (tile.sql's ranked CTE): each layer's @cap most severe.
-- They are ranked on their keys alone (layer, id, severity, observed_at), and only the kept ones are then read whole,
-- one lookup by id each (OFFSET 0 keeps it a per-row probe of the id index, whatever the estimates): the densest z9
-- tile at 1,000,000 features holds 68,000 points, and sorting them with every column spilled 24 MB to disk and took
-- most of its 300 ms (now ~110 ms). Only the kept rows are transformed and encoded.
-- The probe names the row's partition too (feature and merged_feature are partitioned by part: migrations 0060, 0061),
-- so each probe reads one partition's id index, pruned as it runs, not every partition's: 2,000 probes over the five
-- partitions of the bench's merged layer took 46 ms, naming the partition 17 ms.
ranked AS (
    SELECT s.layer, s.id, s.name, s.status, s.severity, s.municipality_code, s.entity_key, s.sources, s.observed_at,
           s.stale, s.conflicts, s.attrs, s.geom, k.rn
    FROM (SELECT r.layer, r.id, r.part,
                 row_number() OVER (PARTITION BY r.layer ORDER BY r.severity DESC NULLS LAST, r.observed_at DESC) AS rn
          FROM ({rows}) r, b
          WHERE @z >= @cluster_zoom AND r.classification = ANY (@levels) AND r.geom && b.env4326) k
    CROSS JOIN LATERAL (SELECT * FROM ({rows}) r WHERE r.id = k.id AND r.part = k.part AND r.layer = k.layer OFFSET 0) s
    WHERE k.rn <= @cap
)
