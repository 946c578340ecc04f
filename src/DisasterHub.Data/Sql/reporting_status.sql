-- Who has not reported: every municipality of the chosen area, with the time of its last report per EEI item —
-- including those that sent nothing (nulls) — and its 災害対策本部 status.
-- The rows placeholder is rows_features (or rows_features_asof) over shelters, damage, evacuation_orders, power_outages, warnings
-- and sensors; only rows the caller is cleared for count, as on every other read path. A row belongs to the
-- municipality its code names (a designated city's ward counts for the city), else to the boundary it falls in.
-- Area: @pref (2-digit prefecture), @under_warnings (a warning, severity >= 2, in force there), @intensity_rank
-- (a seismic intensity at least this high observed there), @has_bbox, @area (WKB polygon), @code (one municipality);
-- all that are given apply.
WITH r AS (
    SELECT r.layer, r.municipality_code, r.geom, r.received_at, r.severity, r.attrs
    FROM ({rows}) r
    WHERE r.classification = ANY (@levels)
),
att AS (
    SELECT coalesce(mp.parent, mp.code) AS code, r.layer, r.received_at, r.severity, r.attrs
    FROM r JOIN municipality_point mp ON mp.code = r.municipality_code AND mp.kind <> 'prefecture'
    UNION ALL
    SELECT coalesce(mp.parent, b.code), r.layer, r.received_at, r.severity, r.attrs
    FROM r
    JOIN municipality_boundary b ON ST_Intersects(b.geom, ST_PointOnSurface(r.geom))
    JOIN municipality_point mp ON mp.code = b.code
    WHERE r.municipality_code IS NULL
),
per AS (
    SELECT code,
           max(received_at) FILTER (WHERE layer = 'shelters') AS shelters,
           max(received_at) FILTER (WHERE layer = 'damage') AS damage,
           max(received_at) FILTER (WHERE layer = 'evacuation_orders') AS evacuation,
           max(received_at) FILTER (WHERE layer = 'power_outages') AS lifelines,
           coalesce(bool_or(layer = 'warnings' AND severity >= 2), false) AS under_warning,
           max(CASE WHEN layer = 'sensors' THEN
               CASE translate(attrs ->> 'intensity', '弱強', '-+')
                   WHEN '1' THEN 1 WHEN '2' THEN 2 WHEN '3' THEN 3 WHEN '4' THEN 4 WHEN '5-' THEN 5 WHEN '5+' THEN 6
                   WHEN '6-' THEN 7 WHEN '6+' THEN 8 WHEN '7' THEN 9 END END) AS intensity_rank
    FROM att GROUP BY code
),
hq AS (
    SELECT DISTINCT ON (code) code, status, at
    FROM municipality_hq
    WHERE workspace = @workspace AND at <= @at AND recorded_at <= @at
    ORDER BY code, at DESC, id DESC
),
chosen AS (
    SELECT p.code, p.prefecture, p.name, p.point, per.shelters, per.damage, per.evacuation, per.lifelines,
           coalesce(per.under_warning, false) AS under_warning, per.intensity_rank
    FROM municipality_point p
    LEFT JOIN per ON per.code = p.code
    WHERE p.kind = 'municipality'
      AND (@pref::text IS NULL OR left(p.code, 2) = @pref::text)
      AND (@code::text IS NULL OR p.code = @code::text)
      AND (NOT @under_warnings OR per.under_warning)
      AND (@intensity_rank::int IS NULL OR per.intensity_rank >= @intensity_rank::int)
),
placed AS (
    -- the imported boundary; a designated city, which N03 draws only by ward, as the union of its wards
    SELECT c.*, coalesce(b.geom, w.geom) AS area, coalesce(b.point, w.point, c.point) AS rep
    FROM chosen c
    LEFT JOIN municipality_boundary b ON b.code = c.code
    LEFT JOIN LATERAL (
        SELECT u.g AS geom, ST_PointOnSurface(u.g) AS point
        FROM (SELECT ST_Multi(ST_Union(wb.geom)) AS g
              FROM municipality_point wp JOIN municipality_boundary wb ON wb.code = wp.code
              WHERE wp.parent = c.code) u
        WHERE u.g IS NOT NULL
    ) w ON b.code IS NULL
),
sel AS (
    SELECT * FROM placed
    WHERE (NOT @has_bbox OR coalesce(area, rep) && ST_MakeEnvelope(@minx, @miny, @maxx, @maxy, 4326))
      AND (@area::bytea IS NULL OR ST_Intersects(coalesce(area, rep), ST_GeomFromWKB(@area::bytea, 4326)))
)
SELECT json_build_object(
    'type', 'Feature',
    'id', s.code,
    'geometry', ST_AsGeoJSON(coalesce(s.area, s.rep), 6)::json,
    'properties', json_build_object(
        'municipality_code', s.code, 'name', s.name, 'prefecture', s.prefecture,
        'shelters_last_report', s.shelters, 'damage_last_report', s.damage,
        'evacuation_last_report', s.evacuation, 'lifelines_last_report', s.lifelines,
        'last_report', l.last_report,
        'hours_since_last_report', round((extract(epoch FROM (@at - l.last_report)) / 3600)::numeric, 2),
        'items_reported', (s.shelters IS NOT NULL)::int + (s.damage IS NOT NULL)::int + (s.evacuation IS NOT NULL)::int + (s.lifelines IS NOT NULL)::int,
        'hq_status', hq.status, 'hq_at', hq.at,
        'under_warning', s.under_warning,
        'max_intensity', (ARRAY['1', '2', '3', '4', '5-', '5+', '6-', '6+', '7'])[s.intensity_rank],
        'boundary', s.area IS NOT NULL))::text,
    count(*) OVER () AS matched
FROM sel s
CROSS JOIN LATERAL (SELECT greatest(s.shelters, s.damage, s.evacuation, s.lifelines) AS last_report) l
LEFT JOIN hq ON hq.code = s.code
ORDER BY s.code
LIMIT @limit OFFSET @offset
