-- Write only what changed, before the full rows are copied (issue 16 §2): one batch's keys and content hashes, probed
-- against the current state through feature's unique (workspace, source_id, source_key) index. The unchanged ones are
-- noted with their entity (the merge of a multi-source entity depends on the ingest's clock: ingest_unchanged.sql
-- merges those again) and never reach staging; the answer is the positions (1-based) of the records that changed,
-- whose full rows are then copied. A re-pull of an unchanged registry costs this probe per batch and nothing else.
-- OFFSET 0 keeps the lookup a per-key probe of the unique index whatever the statistics say (a join planned on the
-- statistics of a just-loaded feature table scanned it per batch; see unchanged_repush_should).
WITH probe AS (
    SELECT k.ord, k.content_hash, f.content_hash AS current_hash, f.layer, f.entity_key
    FROM unnest(@keys::text[], @hashes::bytea[]) WITH ORDINALITY AS k(source_key, content_hash, ord)
    LEFT JOIN LATERAL (SELECT f.content_hash, f.layer, f.entity_key FROM feature f
                       WHERE f.workspace = @workspace AND f.source_id = @source_id AND f.source_key = k.source_key OFFSET 0) f ON true
),
kept AS (
    INSERT INTO unchanged (layer, entity_key)
    SELECT layer, entity_key FROM probe WHERE current_hash = content_hash
)
SELECT ord FROM probe WHERE current_hash IS DISTINCT FROM content_hash ORDER BY ord
