-- Whether the source already has features in the workspace: only then can a staged record be unchanged (a first load
-- skips the probe of ingest_probe.sql).
SELECT EXISTS (SELECT 1 FROM feature WHERE workspace = @workspace AND source_id = @source_id)
