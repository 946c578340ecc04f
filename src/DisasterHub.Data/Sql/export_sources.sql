-- The sources whose records an export of the area holds (the rows placeholder is rows_merged): their ids only, for
-- the credits of a bundle that does not carry the rows themselves (MBTiles).
SELECT DISTINCT s.id
FROM ({rows}) r
CROSS JOIN (SELECT ST_GeomFromWKB(@area_wkb, 4326) AS g) a
CROSS JOIN LATERAL unnest(r.sources) AS s(id)
WHERE r.classification = ANY (@levels) AND r.geom && a.g AND ST_Intersects(r.geom, a.g)
ORDER BY s.id
