-- Each source's partition of feature leaves half of every page free (fillfactor 50; new partitions get it from
-- ingest_bulk_features.sql), so that a changed state of a row is written to the row's own page as a heap-only tuple
-- (HOT). None of the current-state columns that the partition's six indexes cover changes when a record's content
-- does (id, source_id, workspace, source_key, layer, entity_key, name_key and geom stay the same in a typical update),
-- and a HOT update then writes no index entry at all.
--
-- Measured on 110,000 shelter rows with feature's indexes (the all-changed re-publication of a national registry):
-- updating every row took 3.19 s with full pages (no update was HOT) and 0.62 s half-filled (every one HOT); a second
-- round 0.50 s, the first round's dead versions pruned from the page as it is updated. Inserting the rows costs
-- ~0.1 s more (twice the pages). With pages filled to 60 % only about two thirds of a round of same-sized new versions
-- would fit. The space is what the updates would have taken anyway: with full pages each changed row moves to a new
-- page, and the indexes grow with it.
--
-- Existing partitions keep the rows they have where they are: the setting applies to the pages written from now on.
DO $$
DECLARE
    part regclass;
BEGIN
    FOR part IN SELECT inhrelid::regclass FROM pg_inherits WHERE inhparent = 'feature'::regclass LOOP
        EXECUTE format('ALTER TABLE %s SET (fillfactor = 50)', part);
    END LOOP;
END $$;
