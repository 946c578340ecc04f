SELECT count(*)
FROM ({rows}) r
WHERE r.classification = ANY (@levels)
  AND (NOT @has_bbox OR r.geom && ST_MakeEnvelope(@minx, @miny, @maxx, @maxy, 4326))
  AND (@p_status::text IS NULL OR r.status = @p_status)
  AND (@p_municipality_code::text IS NULL OR r.municipality_code = @p_municipality_code)
  AND (@p_severity::int IS NULL OR r.severity = @p_severity)
  AND (@p_name::text IS NULL OR r.name = @p_name)
  AND (@p_entity_key::text IS NULL OR r.entity_key = @p_entity_key)
