SELECT count(*)
FROM feature f
WHERE f.workspace = @workspace AND f.layer = @layer AND f.classification = ANY (@levels)
  AND (NOT @has_bbox OR f.geom && ST_MakeEnvelope(@minx, @miny, @maxx, @maxy, 4326))
