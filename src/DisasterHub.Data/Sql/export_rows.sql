-- One layer's rows for an export: what the caller may read now (the rows placeholder is rows_merged), inside the
-- export's area (@area_wkb, WGS84). Hidden attributes are already removed by the rows set.
SELECT r.id::text, r.entity_key, r.name, r.status, r.severity, r.municipality_code, r.observed_at, r.received_at,
       r.valid_until, r.sources, r.attrs::text, ST_AsBinary(r.geom)
FROM ({rows}) r
CROSS JOIN (SELECT ST_GeomFromWKB(@area_wkb, 4326) AS g) a
WHERE r.classification = ANY (@levels) AND r.geom && a.g AND ST_Intersects(r.geom, a.g)
ORDER BY r.entity_key, r.id
