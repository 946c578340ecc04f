-- Write only what changed (issue 16 §2): unchanged records never reached staging (ingest_probe.sql noted their
-- entities in `unchanged` instead), so identity, history, current state and the merge run over the changed ones only.
-- A re-pull of an unchanged registry then costs the probe per batch and this statement. Staleness needs no per-row
-- "last seen": it is the source's last success (source.last_success_at, marked once per document).
-- The one thing an unchanged record still decides is the merge of an entity with more than one feature: which source
-- wins depends on the ingest's clock (stale and lapsed values rank last), so those entities (recheck) are merged again.
-- A single-feature entity's merged row does not depend on the clock and is left alone.
ANALYZE staging;

CREATE TEMP TABLE recheck (layer text, entity_key text) ON COMMIT DROP;

-- An entity's features are found through feature_entity (layer, entity_key) and only then narrowed to the workspace
-- (OFFSET 0 keeps the planner from pushing the workspace into the scan): with no statistics on feature yet (a fresh
-- database's first load) the planner judged (workspace, layer) as selective as (layer, entity_key) and scanned every
-- feature of the layer per unchanged row — 50,000 × 51,000 tuples, the >10-minute re-push of issue 16 §2.
INSERT INTO recheck
SELECT DISTINCT g.layer, g.entity_key
FROM unchanged g
WHERE (SELECT count(*) FROM (SELECT FROM (SELECT o.workspace FROM feature o WHERE o.layer = g.layer AND o.entity_key = g.entity_key OFFSET 0) e
                             WHERE e.workspace = @workspace LIMIT 2) two) > 1;

-- what is left to write: 0 = nothing
SELECT (SELECT count(*) FROM staging) + (SELECT count(*) FROM recheck)
