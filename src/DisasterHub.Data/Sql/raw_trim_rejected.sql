-- The payload of an unparseable document: keep at most @keep bytes, and nothing once the key (or, for pulls, the
-- source) has @quota bytes of unparseable payloads stored; sha256 and size_bytes keep describing the whole.
WITH used AS (
    SELECT coalesce(sum(length(body)), 0) AS bytes
    FROM raw_document
    WHERE status = 'unparseable' AND id <> @raw_document_id
      AND (CASE WHEN @key::text IS NULL THEN api_key_id IS NULL AND source_id = @source_id ELSE api_key_id = @key END)
)
UPDATE raw_document d
SET body = substring(d.body FROM 1 FOR greatest(0, least(@keep::bigint, @quota::bigint - used.bytes))::int),
    body_truncated = true
FROM used
WHERE d.id = @raw_document_id AND (length(d.body) > @keep OR used.bytes + length(d.body) > @quota)
