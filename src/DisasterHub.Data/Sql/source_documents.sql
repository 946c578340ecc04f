-- The latest documents of one source, newest first, with what the hub did with each: parsed or not, rows accepted and
-- rejected (the first rejections with their line or pointer), rows changed and who sent it (from the push's audit
-- entry). The history a city's or utility's page shows; @limit rows at most, older than the document @before (paging;
-- null = the newest). Indexed by raw_document_source_id and audit_push_document (migration 0041).
SELECT d.id, d.received_at, d.workspace, d.format, d.status, d.accepted, d.rejected, d.size_bytes,
       COALESCE(a.person, a.api_key_id, d.api_key_id) AS sent_by,
       (a.detail ->> 'Changed')::int AS changed,
       COALESCE((SELECT json_agg(json_build_object('at', r.at, 'reason', r.reason) ORDER BY r.id)::text
                 FROM (SELECT id, at, reason FROM rejection WHERE raw_document_id = d.id ORDER BY id LIMIT 20) r), '[]') AS rejections
FROM raw_document d
LEFT JOIN LATERAL (
    SELECT person, api_key_id, detail FROM audit
    WHERE action = 'push' AND detail ->> 'RawDocumentId' = d.id::text AND target = d.source_id
    ORDER BY id LIMIT 1
) a ON true
WHERE d.source_id = @source_id AND (@before::bigint IS NULL OR d.id < @before::bigint)
ORDER BY d.id DESC
LIMIT @limit;
