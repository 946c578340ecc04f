SELECT count(*)
FROM ({rows}) r
WHERE r.classification = ANY (@levels)
  AND (NOT @has_bbox OR r.geom && ST_MakeEnvelope(@minx, @miny, @maxx, @maxy, 4326))
