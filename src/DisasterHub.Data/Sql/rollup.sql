-- Municipality roll-up: the lifeline picture per municipality from the merged layers, with one severity;
-- geometry from imported boundaries, else the representative point. Counts are 64-bit (hub_count, migration 0010).
-- National scale (issue 16): m names the columns it uses, so the rows' provenance and conflicts (jsonb built per row)
-- are never computed; and each layer's sums are joined per (code, layer), not looked up by a subquery per row of
-- per_layer, which PostgreSQL ran as one scan of m per municipality (1,918 scans of 148,340 rows: 95 s).
WITH m AS (SELECT r.municipality_code, r.layer, r.status, r.severity, r.observed_at, r.received_at, r.attrs, r.stale
           FROM ({rows}) r WHERE r.classification = ANY (@levels) AND r.municipality_code IS NOT NULL),
num AS (SELECT m.*, hub_count(m.attrs -> 'evacuees') AS evacuees,
                    hub_count(m.attrs -> 'customers_out') AS customers_out,
                    hub_count(m.attrs -> 'deaths') AS deaths,
                    hub_count(m.attrs -> 'missing') AS missing
        FROM m),
agg AS (
    SELECT municipality_code AS code,
           count(*) FILTER (WHERE layer = 'shelters' AND status IN ('開設', '常設')) AS shelters_open,
           coalesce(sum(evacuees) FILTER (WHERE layer = 'shelters'), 0) AS evacuees,
           coalesce(sum(deaths) FILTER (WHERE layer = 'damage'), 0) AS deaths,
           coalesce(sum(missing) FILTER (WHERE layer = 'damage'), 0) AS missing,
           count(*) FILTER (WHERE layer = 'damage') AS damage_reports,
           coalesce(sum(customers_out) FILTER (WHERE layer = 'power_outages'), 0) AS customers_out,
           max(attrs ->> 'restoration_eta') FILTER (WHERE layer = 'power_outages') AS latest_restoration_eta,
           max(severity) FILTER (WHERE layer = 'sensors') AS worst_sensor_severity,
           count(*) FILTER (WHERE layer = 'evacuation_orders' AND severity > 0) AS active_evacuation_orders,
           count(*) FILTER (WHERE layer = 'warnings' AND severity > 0) AS active_warnings,
           max(severity) AS severity,
           max(observed_at) AS observed_at,
           max(received_at) AS received_at,
           bool_and(stale) AS stale
    FROM num GROUP BY municipality_code
),
-- What each catalogue layer contributes (@rollup: layer → {count_status, sum, lifeline}): its count, worst severity,
-- records in the listed statuses, sums of the listed attributes, and for lifelines the estimates already overdue.
per_layer AS (
    SELECT m.municipality_code AS code, m.layer, count(*) AS n, max(m.severity) AS severity,
           count(*) FILTER (WHERE m.status = ANY (ARRAY(SELECT jsonb_array_elements_text(coalesce(@rollup::jsonb -> m.layer -> 'count_status', '[]'::jsonb))))) AS in_status,
           count(*) FILTER (WHERE (@rollup::jsonb -> m.layer ->> 'lifeline')::boolean AND hub_timestamp(m.attrs ->> 'restoration_eta') < @now
                              AND coalesce(m.severity, 1) > 0 AND coalesce(m.status, '') NOT IN ('復旧', '解除')) AS overdue
    FROM m WHERE @rollup::jsonb ? m.layer
    GROUP BY 1, 2
),
per_sum AS (
    SELECT m.municipality_code AS code, m.layer, k.key, hub_count_total(sum(hub_count(m.attrs -> k.key))) AS total
    FROM m CROSS JOIN LATERAL jsonb_array_elements_text(coalesce(@rollup::jsonb -> m.layer -> 'sum', '[]'::jsonb)) k(key)
    GROUP BY 1, 2, 3
),
sums AS (
    SELECT s.code, s.layer, jsonb_object_agg(s.key, s.total) AS totals FROM per_sum s GROUP BY s.code, s.layer
),
layers AS (
    SELECT p.code, jsonb_object_agg(p.layer, jsonb_build_object('count', p.n, 'max_severity', p.severity, 'in_status', p.in_status, 'overdue_estimates', p.overdue)
        || coalesce(t.totals, '{}'::jsonb)) AS layers,
        sum(p.overdue) AS overdue
    FROM per_layer p LEFT JOIN sums t ON t.code = p.code AND t.layer = p.layer
    GROUP BY p.code
)
SELECT json_build_object(
    'type', 'Feature',
    'id', a.code,
    'geometry', ST_AsGeoJSON(coalesce(b.geom, p.point), 6)::json,
    'properties', json_build_object(
        'layer', 'municipalities', 'municipality_code', a.code,
        'name', coalesce(b.name, p.name), 'prefecture', coalesce(b.prefecture, p.prefecture),
        'severity', a.severity, 'shelters_open', a.shelters_open, 'evacuees', a.evacuees,
        'deaths', a.deaths, 'missing', a.missing, 'damage_reports', a.damage_reports,
        'customers_out', a.customers_out, 'latest_restoration_eta', a.latest_restoration_eta,
        'worst_sensor_severity', a.worst_sensor_severity, 'active_evacuation_orders', a.active_evacuation_orders,
        'active_warnings', a.active_warnings, 'observed_at', a.observed_at, 'received_at', a.received_at,
        'stale', a.stale, 'boundary', b.code IS NOT NULL,
        'overdue_estimates', coalesce(l.overdue, 0), 'layers', coalesce(l.layers, '{}'::jsonb)))::text
FROM agg a
LEFT JOIN layers l ON l.code = a.code
LEFT JOIN municipality_boundary b ON b.code = a.code
LEFT JOIN municipality_point p ON p.code = a.code
WHERE coalesce(b.geom, p.point) IS NOT NULL
  AND (NOT @has_bbox OR coalesce(b.geom, p.point) && ST_MakeEnvelope(@minx, @miny, @maxx, @maxy, 4326))
ORDER BY a.code
LIMIT @limit OFFSET @offset
