SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e), n
FROM (SELECT ST_Extent(geom)::geometry AS e, count(*) AS n FROM feature WHERE workspace = @workspace AND layer = @layer) x
