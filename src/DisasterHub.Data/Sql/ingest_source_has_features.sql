-- Whether the source already has features in the workspace: only then can a staged record be unchanged (a first load
-- skips the probe of ingest_probe.sql). If it has, also the partition of feature they are in (migration 0060: its id,
-- or '' for the shared one; hub_feature_part), which its probes and writes name; null otherwise (decided at the write,
-- once the load's size is known).
SELECT has, CASE WHEN has THEN hub_feature_part(@source_id) END
FROM (SELECT EXISTS (SELECT 1 FROM feature WHERE workspace = @workspace AND source_id = @source_id) AS has) x
