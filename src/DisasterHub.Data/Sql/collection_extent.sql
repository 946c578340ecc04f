-- A collection's extent from its data, as the caller may read it: the bounding box of the geometries and the span of
-- the records' time (observed_at), with the number of rows.
SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e), n, t0, t1
FROM (SELECT ST_Extent(r.geom)::geometry AS e, count(*) AS n, min(r.observed_at) AS t0, max(r.observed_at) AS t1
      FROM ({rows}) r WHERE r.classification = ANY (@levels)) x
