-- Evacuation orders and warnings in force, as the CAP feed publishes them: the merged rows the caller may read now
-- (the rows placeholder is rows_merged; a row past its valid_until is not in it), newest first; one when @id is given.
SELECT r.id, r.layer, r.name, r.address, r.status, r.severity, r.municipality_code, r.observed_at, r.received_at,
       r.valid_until, r.sources, ST_AsBinary(r.geom)
FROM ({rows}) r
WHERE r.classification = ANY (@levels) AND (@id::uuid IS NULL OR r.id = @id)
ORDER BY r.received_at DESC, r.id
LIMIT 500
