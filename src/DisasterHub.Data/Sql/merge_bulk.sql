-- A source's large first load (issue 16 §5, migration 0061): the merged rows of the entities only it has, and that have
-- no merged row yet, go into a fresh table without indexes, which hub_merged_attach makes the source's partition of
-- merged_feature, its indexes built after the rows are in. The caller holds hub_merged_lock exclusively and read
-- merge_keys (a table here) under it; the features are read from the source's fresh partition of feature (@part).
-- Each row is the one merge_entities.sql's single-feature branch writes, in the feature partition's order (spatial).
-- Their cells are noted with the statement merged_feature's insert trigger runs (hub_tile_cell_note_added), so
-- tile_cell is brought up to date at commit as for any insert.
CREATE TABLE merged_load (LIKE merged_feature INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING GENERATED);
-- The partition is read by a plain scan, which returns its rows in their physical order, the spatial one: no sort, and
-- no join to find the rows (a hash of the 110,000 wide rows, then a sort of them back by ctid, took 2.4 s of a
-- national first load against 1.5 s for this; BENCHMARKS.md, the twenty-third session). So index and bitmap scans
-- are off for this statement (an index scan of the source-key index was the plan on the fresh partition, which has
-- no statistics yet), so are merge joins (which sort) and the synchronized start of a large scan in the middle of the
-- table; PostgreSQL 15 runs no part of an INSERT's query in parallel, and its anti-joins always scan the left side,
-- here the partition, in order (16 can hash the left side: first_load_should checks the order). Every feature of the
-- partition has its entity in merge_keys (the partition holds this ingest's staged records, all touched): the rows
-- left out are the few of entities another source reports too (multi) or that have a merged row already, an
-- anti-join against those alone.
SET LOCAL enable_indexscan = off;
SET LOCAL enable_bitmapscan = off;
SET LOCAL enable_mergejoin = off;
SET LOCAL synchronize_seqscans = off;
INSERT INTO merged_load (workspace, layer, entity_key, municipality_code, name, address, geom, status, severity,
                         observed_at, received_at, classification, attrs, provenance, conflicts, sources, content_hash,
                         valid_from, valid_until, rank_from, rank_until, part)
SELECT @workspace, f.layer, f.entity_key, f.municipality_code, f.name, f.address, f.geom, f.status, f.severity,
       f.observed_at, f.received_at, f.classification, f.attrs,
       jsonb_build_object('source', f.source_id, 'observed_at', f.observed_at), '[]'::jsonb, ARRAY[f.source_id],
       md5(concat_ws('|', 's', encode(f.content_hash, 'hex'), f.source_id, f.observed_at)),
       f.valid_from, f.valid_until, NULL, NULL, @source_id
FROM feature f
WHERE f.part = @part AND f.workspace = @workspace
  AND NOT EXISTS (SELECT FROM merge_keys k WHERE k.layer = f.layer AND k.entity_key = f.entity_key
                                             AND (k.multi OR k.merged_part IS NOT NULL));
SET LOCAL enable_indexscan TO DEFAULT;
SET LOCAL enable_bitmapscan TO DEFAULT;
SET LOCAL enable_mergejoin TO DEFAULT;
SET LOCAL synchronize_seqscans TO DEFAULT;
-- merge_entities.sql then skips these entities by the same condition (its @bulk, merge_keys' in_part): marking each
-- in merge_keys took 0.2 s of a 110,000-row first load and 7.5–9.3 s of a 1,000,000-row one (a million temporary
-- rows updated, joined to the wide merged rows).
SELECT hub_tile_cell_note_added('merged_load');
SELECT hub_merged_attach(@source_id)
