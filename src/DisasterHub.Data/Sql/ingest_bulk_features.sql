-- A source's first load (issue 16 §5, migration 0050): no partition of feature holds the source yet, so its rows
-- go into a fresh table without indexes, which hub_feature_attach makes the source's partition — its indexes built
-- after the rows are in. The caller holds the first-load lock (one table name,
-- feature_load, for every first load) and has checked that the partition is still missing.
-- Its pages are filled to half (migration 0057): a later state of a row then fits on the row's own page, and the
-- update is a heap-only tuple that writes none of the partition's six indexes.
CREATE TABLE feature_load (LIKE feature INCLUDING DEFAULTS INCLUDING CONSTRAINTS) WITH (fillfactor = 50);
INSERT INTO feature_load
{feature_rows};
SELECT hub_feature_attach(@source_id)
