-- Whether this ingest is its source's first load (ingest_bulk_features.sql): no partition of feature for the source
-- yet (hub_feature_first_load, migration 0050, takes the first-load lock when it answers true).
SELECT hub_feature_first_load(@source_id)
