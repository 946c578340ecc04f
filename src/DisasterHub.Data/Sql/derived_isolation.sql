-- Derived isolation candidates (issue 12): places people are (open or permanent shelters of the merged layer, the
-- populated places the hub knows) that an active road closure (within @closure_metres), a telecom outage and a power
-- outage (both covering the place) cut off at the same time. Current merged rows of one workspace only; a candidate is
-- never a report: the caller marks it derived and names what it was derived from.
WITH live AS (
    SELECT m.layer, m.entity_key, m.name, m.municipality_code, m.geom, m.status, m.severity
    FROM merged_feature m
    WHERE m.workspace = @workspace AND (m.valid_until IS NULL OR m.valid_until > @now)
      AND m.layer IN ('shelters', 'road_closures', 'telecom_outages', 'power_outages')
),
places AS (SELECT * FROM live WHERE layer = 'shelters' AND coalesce(status, '') IN ('開設', '常設')),
closures AS (SELECT * FROM live WHERE layer = 'road_closures' AND coalesce(severity, 1) > 0 AND coalesce(status, '規制中') <> '解除'),
telecom AS (SELECT * FROM live WHERE layer = 'telecom_outages' AND coalesce(severity, 1) > 0 AND coalesce(status, '') <> '復旧'),
power AS (SELECT * FROM live WHERE layer = 'power_outages' AND coalesce(severity, 1) > 0)
SELECT p.entity_key, p.name, p.municipality_code, ST_X(ST_PointOnSurface(p.geom)), ST_Y(ST_PointOnSurface(p.geom)),
       array_agg(DISTINCT c.entity_key) AS closures, array_agg(DISTINCT t.entity_key) AS telecom, array_agg(DISTINCT w.entity_key) AS power
FROM places p
JOIN closures c ON ST_DWithin(c.geom::geography, p.geom::geography, @closure_metres)
JOIN telecom t ON ST_Intersects(t.geom, p.geom)
JOIN power w ON ST_Intersects(w.geom, p.geom)
GROUP BY p.entity_key, p.name, p.municipality_code, p.geom
ORDER BY p.entity_key
LIMIT 10000
