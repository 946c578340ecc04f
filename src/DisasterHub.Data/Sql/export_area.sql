-- An export's area: a prefecture (@pref, two digits) as the union of its municipalities' boundaries, else their
-- representative points widened by 0.1° when no boundaries are loaded; or a bbox (@bbox: minlon, minlat, maxlon, maxlat).
SELECT ST_AsBinary(coalesce(
    CASE WHEN @bbox::float8[] IS NOT NULL THEN ST_MakeEnvelope(@bbox[1], @bbox[2], @bbox[3], @bbox[4], 4326) END,
    (SELECT ST_Multi(ST_Union(b.geom)) FROM municipality_boundary b WHERE left(b.code, 2) = @pref),
    (SELECT ST_Expand(ST_Envelope(ST_Collect(p.point)), 0.1) FROM municipality_point p WHERE left(p.code, 2) = @pref)))
