-- Every revision of one lifeline entity's restoration estimate (issue 12 item 5): each stored version of its
-- per-source records that carries restoration_eta, with the source, the organization that owns it and the key that
-- pushed it, oldest first (not the markers of a withdrawal). Only versions the caller may read (classification) in the caller's workspace.
SELECT v.source_id, s.name, s.owner_org_id, d.api_key_id, v.observed_at, v.received_at, v.status, v.attrs ->> 'restoration_eta',
       hub_timestamp(v.attrs ->> 'restoration_eta')
FROM feature_version v
JOIN source s ON s.id = v.source_id
LEFT JOIN raw_document d ON d.id = v.raw_document_id
WHERE v.workspace = @workspace AND v.layer = @layer AND v.entity_key = @entity AND v.classification = ANY (@levels)
  AND v.attrs ? 'restoration_eta'
  AND NOT v.withdrawn  -- a withdrawal (migration 0053) is no estimate
ORDER BY v.observed_at, v.received_at, v.id
LIMIT 10000
