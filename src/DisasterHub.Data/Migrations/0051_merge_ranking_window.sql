-- Issue 16 §2, the re-push of an unchanged document: a merged row of an entity with more than one feature ranks its
-- features by the ingest's clock (a value older than its layer's staleness limit, or past its valid_until, ranks after
-- the others: merge_entities.sql). An unchanged re-push used to merge every such entity of the document again in case
-- the clock had moved a value across a limit: one probe per unchanged record to find them, each through every source's
-- partition of feature (an entity's features may be any source's), and each shared one merged again — 0.5–1.2 s of a
-- 2.7–3.7 s re-push of 110,000 shelters, growing with the number of sources.
--
-- The merge now records the window of clock values its ranking holds for: from the clock it ran at (rank_from) to the
-- first instant a feature's value turns stale or lapses (rank_until; null: none ever does). An ingest merges again the
-- multi-feature entities of its source whose window does not hold its clock (ingest_unchanged.sql), and only those; a
-- single-feature entity's merged row does not depend on the clock (both columns null).
-- What else decides the ranking moves the window too: a source's priority changed (SourceRegistry, SourceSeeder) and a
-- layer's staleness limit changed (merge_staleness below, compared at start-up) make the rows concerned due at once.
ALTER TABLE merged_feature ADD COLUMN rank_from timestamptz, ADD COLUMN rank_until timestamptz;

-- the due rows of a workspace, by either bound; only multi-feature rows are in them
CREATE INDEX merged_feature_rank_until ON merged_feature (workspace, rank_until) WHERE rank_from IS NOT NULL;
CREATE INDEX merged_feature_rank_from ON merged_feature (workspace, rank_from) WHERE rank_from IS NOT NULL;

-- the rows merged before this migration: every multi-feature one is due (merged again at its sources' next ingest)
UPDATE merged_feature m SET rank_from = 'infinity', rank_until = '-infinity'
FROM (SELECT workspace, layer, entity_key FROM feature GROUP BY 1, 2, 3 HAVING count(*) > 1) x
WHERE m.workspace = x.workspace AND m.layer = x.layer AND m.entity_key = x.entity_key;

-- The staleness limits (seconds per layer, Hub:Staleness) the rows were ranked with: at start-up the hub compares its
-- configuration with these and makes the multi-feature rows of every layer whose limit changed due (MergeStaleness).
CREATE TABLE merge_staleness (
    layer   text PRIMARY KEY,
    seconds double precision NOT NULL
);

-- A source's priority decides the ranking too: when it changes (the registry, the CLI, configuration at start-up), the
-- multi-feature rows it contributes to are due.
CREATE FUNCTION hub_source_priority_due() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE merged_feature m SET rank_until = '-infinity'
    WHERE m.rank_from IS NOT NULL AND NEW.id = ANY (m.sources);
    RETURN NULL;
END $$;
CREATE TRIGGER source_priority_due AFTER UPDATE OF priority ON source
    FOR EACH ROW WHEN (OLD.priority IS DISTINCT FROM NEW.priority) EXECUTE FUNCTION hub_source_priority_due();
