-- Small sources share one partition of feature; only a large first load gets a partition of its own (issue 16).
--
-- Since 0050 every source had its own partition, whatever its size. A national deployment has a source per municipality
-- (1,741 push shelter status), and every ingest looks features up across sources by entity and name key
-- (ingest_entities.sql, merge_keys.sql, merge_entities.sql), which no partition key prunes: each such statement was
-- planned over every partition. With 504 partitions a 3-shelter status push took 1,137 ms (p50; 41 ms with 3
-- partitions), nearly all of it planning (the merge 600 ms, the identity statements 120–180 ms each).
--
-- feature is now partitioned by a column of its own, part: '' for the shared partition feature_shared, or the source id
-- for a source whose first load was large (Hub:OwnPartitionFromRows staged rows, default 10,000), which keeps the bulk
-- path of 0050 (a fresh table indexed after its rows are in, attached in the ingest's transaction). A source's rows are
-- all in one partition, decided by its first load, so the unique keys with part in them (as a partitioned table's must
-- have) are the keys they were. There is still no default partition: attaching a partition beside one would lock it.
--
-- Which partition a source's rows are in, and the first load that may create its partition, are decided under a lock
-- per source (hub_feature_part, hub_feature_first_load): an ingest that writes to the shared partition holds it shared,
-- a first load that creates a partition holds it exclusively and creates none once the source has rows in the shared
-- partition. So a source never has rows in two partitions.

-- Whether the source has a partition of its own. The catalog is read with SQL, each statement with its own snapshot
-- (as 0050 did: to_regclass may remember a name it looked up before a lock as missing after another transaction
-- created it).
CREATE FUNCTION hub_feature_has_partition(source text) RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM pg_class WHERE relname = hub_feature_partition(source) AND relnamespace = current_schema()::regnamespace)
$$;

-- The partition a source's rows go to: its own if its first load created one, otherwise the shared one (''). Without a
-- partition, the answer is read again under the source's lock (held shared to commit): a first load creating the
-- partition meanwhile is waited for.
CREATE FUNCTION hub_feature_part(source text) RETURNS text LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    IF hub_feature_has_partition(source) THEN
        RETURN source;
    END IF;
    PERFORM pg_advisory_xact_lock_shared(hashtext('hub_feature_part'), hashtext(source));
    IF hub_feature_has_partition(source) THEN
        RETURN source;
    END IF;
    RETURN '';
END $$;

-- Whether a large ingest of the source is its first load, which then creates the source's partition: no partition yet
-- and no rows in the shared partition, read again under the first-load lock (one table name, feature_load, for every
-- first load) and the source's lock held exclusively, both to commit.
CREATE OR REPLACE FUNCTION hub_feature_first_load(source text) RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    IF hub_feature_has_partition(source) THEN
        RETURN false;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('hub_feature_load'));
    PERFORM pg_advisory_xact_lock(hashtext('hub_feature_part'), hashtext(source));
    RETURN NOT hub_feature_has_partition(source)
       AND NOT EXISTS (SELECT 1 FROM feature WHERE part = '' AND source_id = source);
END $$;

-- As in 0050, with the partition key now part.
CREATE OR REPLACE FUNCTION hub_feature_attach(source text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    partition_name text := hub_feature_partition(source);
BEGIN
    EXECUTE format('ALTER TABLE feature_load RENAME TO %I', partition_name);
    EXECUTE format('ALTER TABLE %I ADD CONSTRAINT feature_load_source CHECK (part IS NOT NULL AND part = %L)', partition_name, source);
    EXECUTE format('ALTER TABLE feature ATTACH PARTITION %I FOR VALUES IN (%L)', partition_name, source);
    EXECUTE format('ALTER TABLE %I DROP CONSTRAINT feature_load_source', partition_name);
END $$;

-- ---------------------------------------------------------------- the partitions of 0050 move into the new table
DROP VIEW feature_version;
DROP TRIGGER feature_close_versions ON feature;
ALTER TABLE feature RENAME TO feature_by_source;
ALTER INDEX feature_pkey RENAME TO feature_by_source_pkey;
ALTER INDEX feature_workspace_source_id_source_key_key RENAME TO feature_by_source_key;
ALTER INDEX feature_geom RENAME TO feature_by_source_geom;
ALTER INDEX feature_layer RENAME TO feature_by_source_layer;
ALTER INDEX feature_entity RENAME TO feature_by_source_entity;
ALTER INDEX feature_name_key RENAME TO feature_by_source_name_key;

CREATE TABLE feature (LIKE feature_by_source INCLUDING DEFAULTS INCLUDING CONSTRAINTS, part text NOT NULL) PARTITION BY LIST (part);
ALTER TABLE feature ADD CONSTRAINT feature_pkey PRIMARY KEY (id, part),
    ADD CONSTRAINT feature_workspace_source_id_source_key_key UNIQUE (workspace, source_id, source_key, part);
CREATE INDEX feature_geom ON feature USING gist (geom);
CREATE INDEX feature_layer ON feature (workspace, layer);
CREATE INDEX feature_entity ON feature (layer, entity_key);
CREATE INDEX feature_name_key ON feature (layer, name_key);
-- half of each page free, as 0057 gave the per-source partitions (a changed state stays on its row's page)
CREATE TABLE feature_shared PARTITION OF feature FOR VALUES IN ('') WITH (fillfactor = 50);

DO $$
DECLARE
    s record;
BEGIN
    FOR s IN SELECT source_id, count(*) AS n FROM feature_by_source GROUP BY source_id ORDER BY source_id LOOP
        IF s.n >= 10000 THEN
            EXECUTE format('ALTER TABLE %I RENAME TO %I', hub_feature_partition(s.source_id), hub_feature_partition(s.source_id) || '_0050');
            CREATE TABLE feature_load (LIKE feature INCLUDING DEFAULTS INCLUDING CONSTRAINTS) WITH (fillfactor = 50);
            INSERT INTO feature_load SELECT *, s.source_id FROM feature_by_source WHERE source_id = s.source_id;
            PERFORM hub_feature_attach(s.source_id);
        ELSE
            INSERT INTO feature_shared SELECT *, '' FROM feature_by_source WHERE source_id = s.source_id;
        END IF;
    END LOOP;
END $$;
DROP TABLE feature_by_source;

CREATE TRIGGER feature_close_versions AFTER UPDATE ON feature
REFERENCING OLD TABLE AS closed_rows NEW TABLE AS opened_rows FOR EACH STATEMENT EXECUTE FUNCTION feature_close_versions();

-- the view of 0053 again (a view names the table it was made on)
CREATE VIEW feature_version AS
SELECT id, layer, source_id, source_key, workspace, entity_key, municipality_code, name, address, geom, source_crs, status,
       severity, observed_at, reported_at, received_at, classification, attrs, raw_document_id, content_hash, valid_from,
       valid_until, withdrawn
FROM feature_past
UNION ALL
SELECT history_id, layer, source_id, source_key, workspace, entity_key, municipality_code, name, address, geom, source_crs,
       status, severity, observed_at, reported_at, received_at, classification, attrs, raw_document_id, content_hash,
       valid_from, valid_until, false
FROM feature;
