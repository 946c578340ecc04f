-- A source's first load (issue 16 §5, migration 0050): no partition of feature holds the source yet, so its rows
-- go into a fresh table without indexes, which hub_feature_attach makes the source's partition — its indexes built
-- after the rows are in. The caller holds the first-load lock (one table name,
-- feature_load, for every first load) and has checked that the partition is still missing.
CREATE TABLE feature_load (LIKE feature INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
INSERT INTO feature_load
{feature_rows};
SELECT hub_feature_attach(@source_id)
