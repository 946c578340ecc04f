-- Whether this large ingest is its source's first load (ingest_bulk_features.sql): no partition of feature for the
-- source yet and no rows of it in the shared one (hub_feature_first_load, migrations 0050 and 0060, which takes the
-- first-load lock and the source's own when there is no partition).
SELECT hub_feature_first_load(@source_id)
