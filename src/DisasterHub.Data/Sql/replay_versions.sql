-- The live history of a period, in the order it arrived, for replay into a drill; a withdrawal (migration 0053) as its
-- marker, which the replay withdraws in the drill at its turn.
SELECT v.source_id, v.source_key, v.layer, v.entity_key, v.municipality_code, v.name, v.address, ST_AsBinary(v.geom),
       v.source_crs, v.status, v.severity, v.observed_at, v.reported_at, v.received_at, v.classification, v.attrs::text,
       v.raw_document_id, s.expected_interval_seconds, v.valid_from, v.valid_until, v.withdrawn
FROM feature_version v JOIN source s ON s.id = v.source_id
WHERE v.workspace = 'live' AND v.received_at >= @from AND v.received_at <= @to
ORDER BY v.received_at, v.id
