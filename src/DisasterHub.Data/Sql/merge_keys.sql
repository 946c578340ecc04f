-- The touched entities that still have a feature in the workspace, whether they have more than one, and the partition
-- of merged_feature their merged row is in (merged_part; null: none yet), where the merge writes it (a merged row stays
-- in the partition it was created in: migration 0061). From the keys alone, no geometry or attributes read. loaded:
-- merged already by this ingest's bulk path (merge_bulk.sql), which sets it; merge_entities.sql skips those.
SELECT k.layer, k.entity_key, k.multi, m.part AS merged_part, false AS loaded
FROM (
    SELECT f.layer, f.entity_key, count(*) > 1 AS multi
    FROM feature f
    JOIN (SELECT DISTINCT layer, entity_key FROM touched) t ON t.layer = f.layer AND t.entity_key = f.entity_key
    WHERE f.workspace = @workspace
    GROUP BY f.layer, f.entity_key
) k
LEFT JOIN merged_feature m ON m.workspace = @workspace AND m.layer = k.layer AND m.entity_key = k.entity_key
