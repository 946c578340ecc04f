-- A source's large first load (issue 16 §5, migrations 0050 and 0060: Hub:OwnPartitionFromRows staged rows or more): no
-- partition of feature holds the source yet and the shared one has none of its rows, so its rows go into a fresh table
-- without indexes, which hub_feature_attach makes the source's partition — its indexes built
-- after the rows are in (@part is the source id). The caller holds the first-load lock (one table name, feature_load,
-- for every first load) and the source's own, and has checked both under them (hub_feature_first_load).
-- Its pages are filled to half (migration 0057): a later state of a row then fits on the row's own page, and the
-- update is a heap-only tuple that writes none of the partition's six indexes.
-- The rows go in in the spatial order of IngestStore.SpatialKey (a tile's rows one run of pages, not one page a row:
-- issue 16), and merge_bulk.sql writes the merged rows in that order too.
CREATE TABLE feature_load (LIKE feature INCLUDING DEFAULTS INCLUDING CONSTRAINTS) WITH (fillfactor = 50);
-- The rows read in that order through an index on the key, not sorted: a sort of the staged rows themselves (each
-- ~500 bytes wide) took ~1 s of a 110,000-row first load's 2.2 s statement, and 256 MB of work_mem to stay in memory;
-- the index is built in ~60 ms and the rows fetched in its order from staging's pages (BENCHMARKS.md, the
-- twenty-third session). enable_sort off for this statement alone: costed, the planner prefers the sort.
CREATE INDEX staging_spatial_key ON staging (spatial_key);
SET LOCAL enable_sort = off;
INSERT INTO feature_load
{feature_rows}
ORDER BY s.spatial_key;
SET LOCAL enable_sort TO DEFAULT;
-- its cells noted as the insert trigger of feature notes an insert's (migration 0063): feature_load has no trigger
SELECT hub_tile_cell_note_added('feature_load', 'feature');
SELECT hub_feature_attach(@source_id)
