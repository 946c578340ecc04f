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

-- Each lookup is a scalar subquery, run per staged row through feature's unique (workspace, source_id, source_key)
-- index: right after a big first load the planner's statistics of feature do not know this source's rows yet, and a
-- join planned on them became a nested loop over staging (588 s for 50,000 rows in a measurement).
WITH gone AS (
    DELETE FROM staging s
    WHERE s.content_hash = (SELECT f.content_hash FROM feature f
                            WHERE f.workspace = @workspace AND f.source_id = @source_id AND f.source_key = s.source_key)
    RETURNING s.layer, (SELECT f.entity_key FROM feature f
                        WHERE f.workspace = @workspace AND f.source_id = @source_id AND f.source_key = s.source_key) AS entity_key
)
-- An entity's features are found through feature_entity (layer, entity_key) and only then narrowed to the workspace
-- (OFFSET 0 keeps the planner from pushing the workspace into the scan): with no statistics on feature yet (a fresh
-- database's first load) the planner judged (workspace, layer) as selective as (layer, entity_key) and scanned every
-- feature of the layer per staged row — 50,000 × 51,000 tuples, the >10-minute re-push of issue 16 §2.
INSERT INTO recheck
SELECT DISTINCT g.layer, g.entity_key
FROM gone g
WHERE (SELECT count(*) FROM (SELECT FROM (SELECT o.workspace FROM feature o WHERE o.layer = g.layer AND o.entity_key = g.entity_key OFFSET 0) e
                             WHERE e.workspace = @workspace LIMIT 2) two) > 1;

-- what is left to write: 0 = nothing
SELECT (SELECT count(*) FROM staging) + (SELECT count(*) FROM recheck)
