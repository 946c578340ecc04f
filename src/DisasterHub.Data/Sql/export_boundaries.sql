-- The municipal boundaries of an export (N03-derived; the export carries the credit): a prefecture's own
-- municipalities (@pref, two digits), or for a bbox every boundary that meets it.
SELECT b.code, b.prefecture, b.name, ST_AsBinary(b.geom)
FROM municipality_boundary b
CROSS JOIN (SELECT ST_GeomFromWKB(@area_wkb, 4326) AS g) a
WHERE CASE WHEN @pref::text IS NOT NULL THEN left(b.code, 2) = @pref
           ELSE b.geom && a.g AND ST_Intersects(b.geom, a.g) END
ORDER BY b.code
