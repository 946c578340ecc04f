-- The touched entities that still have a feature in the workspace, and whether they have more than one
-- (merge_entities.sql): from the keys alone, no geometry or attributes read.
SELECT f.layer, f.entity_key, count(*) > 1 AS multi
FROM feature f
JOIN (SELECT DISTINCT layer, entity_key FROM touched) t ON t.layer = f.layer AND t.entity_key = f.entity_key
WHERE f.workspace = @workspace
GROUP BY f.layer, f.entity_key
