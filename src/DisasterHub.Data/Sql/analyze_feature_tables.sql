-- After a large load (see analyze_after_load.sql): the statistics of the columns the ingest's own statements look
-- features up by — what the next push (typically the same registry again) is planned on. Only these columns: the
-- geometry and attrs statistics made the whole-table ANALYZE of feature, feature_version (now feature_past) and merged_feature cost
-- 2.1 s of a 10.5-s 50,000-row push; autovacuum still analyzes every table in full within its next round.
ANALYZE feature (workspace, layer, source_id, source_key, entity_key, name_key);
-- and the merged layer's columns the event stream pages by (events.sql): the maps and followers are reading the load's
-- changes at this moment, and with no statistics each page sorted the whole layer (110-166 ms a page of 500 against 13)
ANALYZE merged_feature (workspace, layer, change_seq, classification)
