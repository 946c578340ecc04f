-- A bulk path for a source's first load (issue 16 §5): feature is partitioned by source, one partition per source,
-- and a source's first load goes into a fresh table that has no index yet; its indexes are built after the rows are
-- in, and it is attached as the source's partition in the same transaction (IngestTransaction; Sql/
-- ingest_bulk_features.sql). Inserting 50,000 rows into a feature table of a million took 2.15 s (index maintenance row by
-- row, two foreign-key checks per row); into a fresh table 0.11 s, its indexes built after 0.34 s.
-- There is no default partition: attaching next to one would lock it (every other source's features) and scan it. A
-- partition is created by its source's first ingest, whatever its size (the same path for one row and for a
-- national registry); ATTACH takes a SHARE UPDATE EXCLUSIVE lock on feature, which readers and other ingests do not
-- wait for.

-- feature keeps no foreign keys (they were to source and raw_document): attaching a partition of a table with foreign
-- keys locks the referenced tables against writes (SHARE ROW EXCLUSIVE) until the first load commits, and every
-- ingest writes both (its raw document, its source's mark) — a national first load would have stopped every other
-- source's ingest for its whole length, and two first loads at once deadlocked. What the keys guarded is kept:
-- raw documents are never deleted (feature_past keeps its key to them), and a source with features cannot be deleted
-- (the trigger below answers as the key did, 23503, which the registry turns into 409). The keys also cost two
-- checks per inserted row (0.8 of the 2.15 s above).

-- The partition of a source: one name per source id, whatever characters the id has.
CREATE FUNCTION hub_feature_partition(source_id text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT 'feature_' || substr(md5(source_id), 1, 16)
$$;

-- Whether an ingest is its source's first load (no partition for it yet). Only then is the first-load lock taken (held
-- to commit: first loads wait for each other, no other ingest takes it) and the catalog read again under it, so two
-- first loads of one source never both create its partition. The catalog is read with SQL (each statement's own
-- snapshot), not to_regclass: a name looked up before the lock may be remembered as missing after another transaction
-- created it.
CREATE FUNCTION hub_feature_first_load(source text) RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_class WHERE relname = hub_feature_partition(source) AND relnamespace = current_schema()::regnamespace) THEN
        RETURN false;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('hub_feature_load'));
    RETURN NOT EXISTS (SELECT 1 FROM pg_class WHERE relname = hub_feature_partition(source) AND relnamespace = current_schema()::regnamespace);
END $$;

-- Makes the table feature_load (filled by the caller in this transaction) the partition of the source: renamed to
-- the source's partition, checked once to hold that source only (so ATTACH needs no scan of its own), attached — which
-- builds every index of feature on it, now that its rows are in.
CREATE FUNCTION hub_feature_attach(source text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    part text := hub_feature_partition(source);
BEGIN
    EXECUTE format('ALTER TABLE feature_load RENAME TO %I', part);
    EXECUTE format('ALTER TABLE %I ADD CONSTRAINT feature_load_source CHECK (source_id IS NOT NULL AND source_id = %L)', part, source);
    EXECUTE format('ALTER TABLE feature ATTACH PARTITION %I FOR VALUES IN (%L)', part, source);
    EXECUTE format('ALTER TABLE %I DROP CONSTRAINT feature_load_source', part);
END $$;

-- ---------------------------------------------------------------- the existing table becomes one partition per source
DROP VIEW feature_version;
DROP TRIGGER feature_close_versions ON feature;
ALTER TABLE feature RENAME TO feature_unpartitioned;
ALTER INDEX feature_pkey RENAME TO feature_unpartitioned_pkey;
ALTER INDEX feature_workspace_source_id_source_key_key RENAME TO feature_unpartitioned_key;
ALTER INDEX feature_geom RENAME TO feature_unpartitioned_geom;
ALTER INDEX feature_layer RENAME TO feature_unpartitioned_layer;
ALTER INDEX feature_entity RENAME TO feature_unpartitioned_entity;
ALTER INDEX feature_name_key RENAME TO feature_unpartitioned_name_key;

CREATE TABLE feature (LIKE feature_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS) PARTITION BY LIST (source_id);
-- the id is unique (gen_random_uuid); a partitioned table's unique keys include its partition key
ALTER TABLE feature ADD CONSTRAINT feature_pkey PRIMARY KEY (id, source_id),
    ADD CONSTRAINT feature_workspace_source_id_source_key_key UNIQUE (workspace, source_id, source_key);
CREATE INDEX feature_geom ON feature USING gist (geom);
CREATE INDEX feature_layer ON feature (workspace, layer);
CREATE INDEX feature_entity ON feature (layer, entity_key);
CREATE INDEX feature_name_key ON feature (layer, name_key);

DO $$
DECLARE
    s text;
BEGIN
    FOR s IN SELECT DISTINCT source_id FROM feature_unpartitioned ORDER BY 1 LOOP
        CREATE TABLE feature_load (LIKE feature INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
        INSERT INTO feature_load SELECT * FROM feature_unpartitioned WHERE source_id = s;
        PERFORM hub_feature_attach(s);
    END LOOP;
END $$;
DROP TABLE feature_unpartitioned;

CREATE TRIGGER feature_close_versions AFTER UPDATE ON feature
REFERENCING OLD TABLE AS closed_rows NEW TABLE AS opened_rows FOR EACH STATEMENT EXECUTE FUNCTION feature_close_versions();

-- the view of 0049 again (a view names the table it was made on)
CREATE VIEW feature_version AS
SELECT id, layer, source_id, source_key, workspace, entity_key, municipality_code, name, address, geom, source_crs, status,
       severity, observed_at, reported_at, received_at, classification, attrs, raw_document_id, content_hash, valid_from,
       valid_until
FROM feature_past
UNION ALL
SELECT history_id, layer, source_id, source_key, workspace, entity_key, municipality_code, name, address, geom, source_crs,
       status, severity, observed_at, reported_at, received_at, classification, attrs, raw_document_id, content_hash,
       valid_from, valid_until
FROM feature;

-- A source with features is kept (as feature's foreign key did: the same error, 23503).
CREATE FUNCTION hub_source_keep_features() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM feature WHERE source_id = OLD.id) THEN
        RAISE EXCEPTION 'source % still has features', OLD.id USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN OLD;
END $$;
CREATE TRIGGER source_keep_features BEFORE DELETE ON source FOR EACH ROW EXECUTE FUNCTION hub_source_keep_features();
