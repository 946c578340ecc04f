-- Merged-feature changes after a cursor, for the event stream: filtered by layer, bbox and the caller's levels.
-- A row past its valid_until is inactive: it appears once more, as `expired`, when ExpiryService announces the lapse
-- (expired_seq = change_seq), and not as a change.
SELECT m.change_seq, CASE WHEN m.expired_seq = m.change_seq THEN 'expired' ELSE 'change' END, json_build_object(
    'type', 'Feature',
    'id', m.id,
    'geometry', ST_AsGeoJSON(m.geom, 7)::json,
    'properties', json_build_object(
        'layer', m.layer, 'entity_key', m.entity_key, 'name', m.name, 'address', m.address,
        'municipality_code', m.municipality_code, 'status', m.status, 'severity', m.severity,
        'observed_at', m.observed_at, 'received_at', m.received_at, 'sources', m.sources,
        'conflicts', hub_visible_conflicts(m.conflicts, @hidden::jsonb, m.layer), 'attrs', hub_visible_attrs(m.attrs, @hidden::jsonb, m.layer), 'version', m.version, 'change_seq', m.change_seq,
        'valid_from', m.valid_from, 'valid_until', m.valid_until, 'classification', m.classification,
        'provenance', hub_visible_provenance(hub_provenance(m.provenance, m.attrs, m.name, m.address, m.municipality_code, m.status, m.severity), @hidden::jsonb, m.layer)))::text
FROM merged_feature m
WHERE m.workspace = @workspace AND m.change_seq > @cursor AND m.layer = ANY (@layers)
  AND m.classification = ANY (@levels)
  AND (m.valid_until IS NULL OR m.valid_until > @now OR m.expired_seq = m.change_seq)
  AND (NOT @has_bbox OR m.geom && ST_MakeEnvelope(@minx, @miny, @maxx, @maxy, 4326))
ORDER BY m.change_seq
LIMIT @page
