-- numberMatched of an items request: the same rows and filters as ogc_items.sql.
SELECT count(*)
FROM ({rows}) r
WHERE r.classification = ANY (@levels)
  AND (NOT @has_bbox OR r.geom && ST_MakeEnvelope(@minx, @miny, @maxx, @maxy, 4326))
  {filter}
