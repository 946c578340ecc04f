-- Write only what changed (issue 16 §2): a staged record whose content hash equals the current state's of the same
-- (workspace, source, key) writes no feature update and no history row, so it leaves staging here, before identity,
-- history, current state and the merge run over it. A re-pull of an unchanged registry then costs the COPY into
-- staging and this one anti-join. Staleness needs no per-row "last seen": it is the source's last success
-- (source.last_success_at, marked once per document).
-- The one thing an unchanged record still decides is the merge of an entity with more than one feature: which source
-- wins depends on the ingest's clock (stale and lapsed values rank last), so those entities (recheck) are merged again.
-- A single-feature entity's merged row does not depend on the clock and is left alone.
ANALYZE staging;

CREATE TEMP TABLE recheck (layer text, entity_key text) ON COMMIT DROP;

WITH gone AS (
    DELETE FROM staging s
    USING feature f
    WHERE f.workspace = @workspace AND f.source_id = @source_id AND f.source_key = s.source_key
      AND f.content_hash = s.content_hash
    RETURNING f.id, f.layer, f.entity_key
)
INSERT INTO recheck
SELECT DISTINCT g.layer, g.entity_key
FROM gone g
WHERE EXISTS (SELECT 1 FROM feature o WHERE o.workspace = @workspace AND o.layer = g.layer AND o.entity_key = g.entity_key AND o.id <> g.id);

-- what is left to write: 0 = nothing
SELECT (SELECT count(*) FROM staging) + (SELECT count(*) FROM recheck)
