-- Whether the source already has features in the workspace: only then can a staged record be unchanged (a first load
-- skips the probe of ingest_probe.sql). If it has, also the partition of feature they are in (migration 0060: its id,
-- or '' for the shared one; hub_feature_part), which its probes and writes name; null otherwise (decided at the write,
-- once the load's size is known). For a partition of its own, how many rows PostgreSQL counts in it (reltuples: set
-- when its indexes were built at the attach, then by every vacuum and analyze; -1 when not known): from how many
-- probed records on the source's current hashes are read at once (ingest_current_hashes.sql). Null for the shared one.
SELECT has, part, CASE WHEN part <> '' THEN (SELECT c.reltuples FROM pg_class c WHERE c.oid = to_regclass(hub_feature_partition(@source_id))) END
FROM (SELECT has, CASE WHEN has THEN hub_feature_part(@source_id) END AS part
      FROM (SELECT EXISTS (SELECT 1 FROM feature WHERE workspace = @workspace AND source_id = @source_id) AS has) x) y
