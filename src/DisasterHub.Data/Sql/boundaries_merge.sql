-- N03 splits a municipality into one feature per island/part: union them per code.
INSERT INTO municipality_boundary (code, prefecture, name, geom, point, source, imported_at)
SELECT code, prefecture, name, g, ST_PointOnSurface(g), @source, @now
FROM (
    SELECT code, min(prefecture) AS prefecture, min(name) AS name,
           -- one valid part per code (the shipped geodata file) needs no union or repair
           CASE WHEN count(*) = 1 AND bool_and(ST_IsValid(g0)) THEN ST_Multi(ST_CollectionExtract((array_agg(g0))[1], 3))
                ELSE ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Union(ST_MakeValid(g0))), 3)) END AS g
    FROM (SELECT code, prefecture, name, ST_SetSRID(ST_GeomFromGeoJSON(geojson), 4326) AS g0 FROM boundary_staging) st
    GROUP BY code
) s
WHERE NOT ST_IsEmpty(g)
ON CONFLICT (code) DO UPDATE SET prefecture = EXCLUDED.prefecture, name = EXCLUDED.name, geom = EXCLUDED.geom,
    point = EXCLUDED.point, source = EXCLUDED.source, imported_at = EXCLUDED.imported_at
