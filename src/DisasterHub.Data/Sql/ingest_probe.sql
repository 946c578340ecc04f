-- Write only what changed, before the full rows are copied (issue 16 §2): one batch's keys and content hashes, probed
-- against the current state through feature's unique (workspace, source_id, source_key) index. The unchanged ones never
-- reach staging; the answer is the positions (1-based) of the records that changed, whose full rows are then copied.
-- A re-pull of an unchanged registry costs this probe per batch and nothing else.
-- An unchanged record still matters to the merge of an entity with more than one feature (which source wins depends
-- on the ingest's clock: ingest_unchanged.sql merges those again), so its entity is noted in `unchanged` — unless the
-- entity's merged row says it has this one feature alone (its provenance stored once, {"source": …}: merge_entities.sql's
-- single-feature rows, migration 0047), which the clock cannot change. Looking that up here, one probe of the merged
-- row's key per record, spares a registry's re-pull a second pass over every unchanged entity.
-- OFFSET 0 keeps the lookup a per-key probe of the unique index whatever the statistics say (a join planned on the
-- statistics of a just-loaded feature table scanned it per batch; see unchanged_repush_should).
WITH probe AS (
    SELECT k.ord, k.content_hash, f.content_hash AS current_hash, f.layer, f.entity_key, f.alone
    FROM unnest(@keys::text[], @hashes::bytea[]) WITH ORDINALITY AS k(source_key, content_hash, ord)
    LEFT JOIN LATERAL (SELECT f.content_hash, f.layer, f.entity_key,
                              CASE WHEN f.content_hash = k.content_hash THEN
                                  (SELECT m.provenance ? 'source' FROM merged_feature m
                                   WHERE m.workspace = f.workspace AND m.layer = f.layer AND m.entity_key = f.entity_key) END AS alone
                       FROM feature f
                       WHERE f.workspace = @workspace AND f.source_id = @source_id AND f.source_key = k.source_key OFFSET 0) f ON true
),
kept AS (
    INSERT INTO unchanged (layer, entity_key)
    SELECT layer, entity_key FROM probe WHERE current_hash = content_hash AND alone IS NOT TRUE
)
SELECT ord FROM probe WHERE current_hash IS DISTINCT FROM content_hash ORDER BY ord
