-- The partition of feature this ingest's rows go to (migration 0060): the source's own if its first load created one,
-- otherwise the shared one (''), under the source's lock held shared to commit (hub_feature_part).
SELECT hub_feature_part(@source_id)
