-- After a large load (see analyze_after_load.sql): the statistics of the columns the ingest's own statements look
-- features up by — what the next push (typically the same registry again) is planned on. Only these columns: the
-- geometry and attrs statistics made the whole-table ANALYZE of feature, feature_version (now feature_past) and merged_feature cost
-- 2.1 s of a 10.5-s 50,000-row push; autovacuum still analyzes every table in full within its next round.
-- Sampled at a tenth of the default (3,000 rows, not 30,000): ANALYZE of a partitioned feature samples the whole table
-- and then each partition again, and on the national bench set (three 110,000-row registries) that took 0.75–0.86 s
-- against 0.10–0.11 s. These columns are keys: a sample whose values are all distinct is read as unique at any size,
-- and the few workspaces, layers and sources are its most common values either way. autovacuum later analyzes each
-- partition at the full target; only the partitioned table's own statistics stay as sampled here.
SET LOCAL default_statistics_target = 10;
ANALYZE feature (workspace, layer, source_id, source_key, entity_key, name_key);
SET LOCAL default_statistics_target = DEFAULT;
-- and the merged layer's columns the event stream pages by (events.sql): the maps and followers are reading the load's
-- changes at this moment, and with no statistics each page sorted the whole layer (110-166 ms a page of 500 against 13)
ANALYZE merged_feature (workspace, layer, change_seq, classification)
