-- Write only what changed (issue 16 §2): unchanged records never reached staging (ingest_probe.sql left them out), so
-- identity, history, current state and the merge run over the changed ones only. A re-pull of an unchanged registry
-- then costs the probe per batch and this statement. Staleness needs no per-row "last seen": it is the source's last
-- success (source.last_success_at, marked once per document).
-- The one thing an unchanged record still decides is the merge of an entity with more than one feature: which source
-- wins depends on the clock (stale and lapsed values rank last). Such a merged row keeps the window of clock values
-- its ranking holds for (rank_from, rank_until, migration 0051): the source's entities whose window does not hold
-- this ingest's clock (@now) are merged again (recheck), each bound read as a range of its partial index (which holds
-- only multi-feature rows). A single-feature entity's merged row does not depend on the clock and is left alone.
-- (staging is analyzed by ingest_entities.sql, which runs only when something is left to write.)
CREATE TEMP TABLE recheck ON COMMIT DROP AS
SELECT m.layer, m.entity_key FROM merged_feature m
WHERE m.workspace = @workspace AND m.rank_from IS NOT NULL AND m.rank_until <= @now AND @source_id = ANY (m.sources)
UNION
SELECT m.layer, m.entity_key FROM merged_feature m
WHERE m.workspace = @workspace AND m.rank_from IS NOT NULL AND m.rank_from > @now AND @source_id = ANY (m.sources);

-- what is left to write: 0 = nothing
SELECT (SELECT count(*) FROM staging) + (SELECT count(*) FROM recheck)
