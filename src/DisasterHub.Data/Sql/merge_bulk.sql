-- A source's large first load (issue 16 §5, migration 0061): the merged rows of the entities only it has, and that have
-- no merged row yet, go into a fresh table without indexes, which hub_merged_attach makes the source's partition of
-- merged_feature, its indexes built after the rows are in. The caller holds hub_merged_lock exclusively and read
-- merge_keys (a table here) under it; the features are read from the source's fresh partition of feature (@part).
-- Each row is the one merge_entities.sql's single-feature branch writes, in the feature partition's order (spatial).
-- Their cells are noted with the statement merged_feature's insert trigger runs (hub_tile_cell_note_added), so
-- tile_cell is brought up to date at commit as for any insert.
CREATE TABLE merged_load (LIKE merged_feature INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING GENERATED);
SET LOCAL work_mem = '256MB'; -- the sort below in memory, as in ingest_bulk_features.sql
INSERT INTO merged_load (workspace, layer, entity_key, municipality_code, name, address, geom, status, severity,
                         observed_at, received_at, classification, attrs, provenance, conflicts, sources, content_hash,
                         valid_from, valid_until, rank_from, rank_until, part)
SELECT @workspace, f.layer, f.entity_key, f.municipality_code, f.name, f.address, f.geom, f.status, f.severity,
       f.observed_at, f.received_at, f.classification, f.attrs,
       jsonb_build_object('source', f.source_id, 'observed_at', f.observed_at), '[]'::jsonb, ARRAY[f.source_id],
       md5(concat_ws('|', 's', encode(f.content_hash, 'hex'), f.source_id, f.observed_at)),
       f.valid_from, f.valid_until, NULL, NULL, @source_id
FROM feature f
JOIN merge_keys k ON k.layer = f.layer AND k.entity_key = f.entity_key AND NOT k.multi AND k.merged_part IS NULL
WHERE f.part = @part AND f.workspace = @workspace
ORDER BY f.ctid; -- the partition's order, spatial (ingest_bulk_features.sql): a tile's rows one run of pages
SET LOCAL work_mem TO DEFAULT;
UPDATE merge_keys k SET loaded = true, merged_part = @source_id
FROM merged_load l WHERE l.layer = k.layer AND l.entity_key = k.entity_key;
SELECT hub_tile_cell_note_added('merged_load');
SELECT hub_merged_attach(@source_id)
