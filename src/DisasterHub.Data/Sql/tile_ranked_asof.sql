-- The rows a tile as of an instant keeps at and above the cluster zoom (tile.sql's ranked CTE): each layer's @cap most
-- severe, ranked on the rows' own columns; only those kept are transformed and encoded (issue 16: a z9 tile over a
-- dense area holds tens of thousands of points, and encoding every one before the cap took 300 ms at 1,000,000
-- features). Only the columns a tile shows are read (provenance, for one, is never expanded here). An as-of row set
-- is one DISTINCT ON over the history, which a lookup by id could not use: the rows are ranked whole.
ranked AS (
    SELECT r.layer, r.id, r.name, r.status, r.severity, r.municipality_code, r.entity_key, r.sources, r.observed_at,
           r.stale, r.conflicts, r.evacuees, r.customers_out, r.geom,
           row_number() OVER (PARTITION BY r.layer ORDER BY r.severity DESC NULLS LAST, r.observed_at DESC) AS rn
    FROM ({rows}) r, b
    WHERE @z >= @cluster_zoom AND r.classification = ANY (@levels) AND r.geom && b.env4326
)
