-- Write only what changed, before the full rows are copied (issue 16 §2): one batch's keys and content hashes, probed
-- against the current state through feature's unique (workspace, source_id, source_key, part) index, in the partition
-- the source's rows are in (@part, migration 0060). The unchanged ones never
-- reach staging; the answer is the positions (1-based) of the records that changed, whose full rows are then copied.
-- A re-pull of an unchanged registry costs this probe per batch and one look at the due merged rows
-- (ingest_unchanged.sql). OFFSET 0 keeps the lookup a per-key probe of the unique index whatever the statistics say (a
-- join planned on the statistics of a just-loaded feature table scanned it per batch; see unchanged_repush_should).
SELECT k.ord
FROM unnest(@keys::text[], @hashes::bytea[]) WITH ORDINALITY AS k(source_key, content_hash, ord)
WHERE k.content_hash IS DISTINCT FROM (SELECT f.content_hash FROM feature f
                                       WHERE f.part = @part AND f.workspace = @workspace AND f.source_id = @source_id AND f.source_key = k.source_key OFFSET 0)
ORDER BY k.ord
