-- Before the merge reads which partition each touched entity's merged row is in (merge_keys.sql): the lock of migration
-- 0061 on the touched layers, shared, or exclusive for a first load that creates the source's partition of
-- merged_feature (merge_bulk.sql). A statement of its own, so the statements after it see what a holder committed.
SELECT hub_merged_lock(@workspace, ARRAY(SELECT DISTINCT layer FROM touched), @exclusive)
