-- The touched entities that still have a feature in the workspace, whether they have more than one, and the partition
-- of merged_feature their merged row is in (merged_part; null: none yet), where the merge writes it (a merged row stays
-- in the partition it was created in: migration 0061). From the keys alone, no geometry or attributes read. in_part:
-- every feature of the entity is in the partition of feature this ingest writes (@part); one of a first load's, alone
-- and with no merged row, was merged by its bulk path already (merge_bulk.sql), and merge_entities.sql skips it.
SELECT k.layer, k.entity_key, k.multi, k.in_part, m.part AS merged_part
FROM (
    SELECT f.layer, f.entity_key, count(*) > 1 AS multi, bool_and(f.part = @part) AS in_part
    FROM feature f
    JOIN (SELECT DISTINCT layer, entity_key FROM touched) t ON t.layer = f.layer AND t.entity_key = f.entity_key
    WHERE f.workspace = @workspace
    GROUP BY f.layer, f.entity_key
) k
LEFT JOIN merged_feature m ON m.workspace = @workspace AND m.layer = k.layer AND m.entity_key = k.entity_key
