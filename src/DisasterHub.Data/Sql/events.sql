-- Merged-feature changes after a cursor, for the event stream: filtered by layer, bbox and the caller's levels.
-- A row past its valid_until is inactive: it appears once more, as `expired`, when ExpiryService announces the lapse
-- (expired_seq = change_seq), and not as a change. A row that left the merged layer (its features withdrawn by a full
-- replacement or moved to another entity) appears as `deleted`, with its last state, from its deletion marker
-- (merged_feature_past.change_seq, migration 0053). Both sides are read in change_seq order up to a page, then merged.
(SELECT m.change_seq, CASE WHEN m.expired_seq = m.change_seq THEN 'expired' ELSE 'change' END, json_build_object(
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
LIMIT @page)
UNION ALL
(SELECT p.change_seq, 'deleted', json_build_object(
    'type', 'Feature',
    'id', p.merged_id,
    'geometry', ST_AsGeoJSON(p.geom, 7)::json,
    'properties', json_build_object(
        'layer', p.layer, 'entity_key', p.entity_key, 'name', p.name, 'address', p.address,
        'municipality_code', p.municipality_code, 'status', p.status, 'severity', p.severity,
        'observed_at', p.observed_at, 'received_at', p.received_at, 'sources', p.sources,
        'conflicts', hub_visible_conflicts(p.conflicts, @hidden::jsonb, p.layer), 'attrs', hub_visible_attrs(p.attrs, @hidden::jsonb, p.layer), 'version', p.version, 'change_seq', p.change_seq,
        'valid_from', p.valid_from, 'valid_until', p.valid_until, 'classification', p.classification, 'deleted', true,
        'provenance', hub_visible_provenance(hub_provenance(p.provenance, p.attrs, p.name, p.address, p.municipality_code, p.status, p.severity), @hidden::jsonb, p.layer)))::text
FROM merged_feature_past p
WHERE p.change_seq > @cursor AND p.workspace = @workspace AND p.layer = ANY (@layers)
  AND p.classification = ANY (@levels)
  AND (NOT @has_bbox OR p.geom && ST_MakeEnvelope(@minx, @miny, @maxx, @maxy, 4326))
ORDER BY p.change_seq
LIMIT @page)
ORDER BY 1
LIMIT @page
