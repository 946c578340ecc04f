-- The feature tables' statistics brought up to date (after a large load; see analyze_after_load.sql).
ANALYZE feature, feature_version, merged_feature
