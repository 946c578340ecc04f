-- The merged layer gets the bulk path feature has (issue 16 §5): a source's large first load writes the merged rows of
-- its single-source entities into a fresh table without indexes, which becomes the source's partition of merged_feature
-- with its indexes built after the rows are in.
--
-- Before, those rows were inserted one by one into the one merged_feature, maintaining its seven live indexes (primary
-- key, id, geometry, change_seq, municipality, cells, history): 110,000 rows of a national registry took 5.0–6.5 s,
-- against 0.9 s into a table without indexes and 1.4 s to build the same indexes after (measured on a database holding
-- one such registry already).
--
-- merged_feature is now partitioned by part: '' for the shared partition merged_shared, or the source id for the
-- partition a source's first load created. A merged row stays in the partition it was created in for as long as it
-- exists: when another source later contributes to one of those entities, the merge updates the row where it is
-- (merge_keys.sql reads each touched entity's partition). The unique keys of a partitioned table must hold the
-- partition key, so (workspace, layer, entity_key) is unique across partitions by the merge, not by an index: every
-- merge holds a lock per workspace and layer shared, and a first load that creates a partition holds it exclusively
-- from before it looks for existing rows until it commits (hub_merged_lock). So no two transactions create the same
-- entity in two partitions.

CREATE FUNCTION hub_merged_partition(source_id text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT 'merged_' || substr(md5(source_id), 1, 16)
$$;

-- The lock above, on each layer given, to commit: shared by every merge, exclusive by a first load creating a partition.
-- Taken in a statement before the one that reads existing merged rows, which then sees what the holder committed.
CREATE FUNCTION hub_merged_lock(workspace text, layers text[], exclusive boolean) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    l text;
BEGIN
    -- no layer touched: nothing to lock (array_agg of none is null, which FOREACH refuses)
    FOREACH l IN ARRAY (SELECT coalesce(array_agg(DISTINCT x ORDER BY x), '{}') FROM unnest(layers) x) LOOP
        IF exclusive THEN
            PERFORM pg_advisory_xact_lock(hashtextextended('merged_new:' || workspace || ':' || l, 0));
        ELSE
            PERFORM pg_advisory_xact_lock_shared(hashtextextended('merged_new:' || workspace || ':' || l, 0));
        END IF;
    END LOOP;
END $$;

-- A table loaded without indexes becomes a partition: renamed, then attached, which builds on it each index the
-- partitioned table has. A check constraint lets the attach skip its own scan of the rows. hub_feature_attach (0060)
-- does this for feature_load, hub_merged_attach for merged_load (filled by merge_bulk.sql).
CREATE FUNCTION hub_attach_load(parent text, load_table text, partition_name text, value text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('ALTER TABLE %I RENAME TO %I', load_table, partition_name);
    EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I CHECK (part IS NOT NULL AND part = %L)', partition_name, load_table || '_source', value);
    EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES IN (%L)', parent, partition_name, value);
    EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', partition_name, load_table || '_source');
END $$;

CREATE OR REPLACE FUNCTION hub_feature_attach(source text) RETURNS void LANGUAGE sql AS $$
    SELECT hub_attach_load('feature', 'feature_load', hub_feature_partition(source), source)
$$;

CREATE FUNCTION hub_merged_attach(source text) RETURNS void LANGUAGE sql AS $$
    SELECT hub_attach_load('merged_feature', 'merged_load', hub_merged_partition(source), source)
$$;

-- ---------------------------------------------------------------- the table becomes the shared partition
DROP VIEW merged_feature_version;
DROP TRIGGER merged_feature_close_versions ON merged_feature;
DROP TRIGGER merged_feature_close_deleted ON merged_feature;
DROP TRIGGER merged_feature_tile_cells_ins ON merged_feature;
DROP TRIGGER merged_feature_tile_cells_upd ON merged_feature;
DROP TRIGGER merged_feature_tile_cells_del ON merged_feature;
ALTER TABLE merged_feature RENAME TO merged_shared;
ALTER TABLE merged_shared DROP CONSTRAINT merged_feature_pkey, DROP CONSTRAINT merged_feature_id_key;
ALTER INDEX merged_feature_geom RENAME TO merged_shared_geom;
ALTER INDEX merged_feature_seq RENAME TO merged_shared_seq;
ALTER INDEX merged_feature_muni RENAME TO merged_shared_muni;
ALTER INDEX merged_feature_lapse RENAME TO merged_shared_lapse;
ALTER INDEX merged_feature_valid_geom RENAME TO merged_shared_valid_geom;
ALTER INDEX merged_feature_tile_cell RENAME TO merged_shared_tile_cell;
ALTER INDEX merged_feature_history RENAME TO merged_shared_history;
ALTER INDEX merged_feature_rank_until RENAME TO merged_shared_rank_until;
ALTER INDEX merged_feature_rank_from RENAME TO merged_shared_rank_from;
ALTER TABLE merged_shared ADD COLUMN part text NOT NULL DEFAULT '';
ALTER TABLE merged_shared ALTER COLUMN part DROP DEFAULT;

CREATE TABLE merged_feature (LIKE merged_shared INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING GENERATED) PARTITION BY LIST (part);
ALTER TABLE merged_feature ADD CONSTRAINT merged_feature_pkey PRIMARY KEY (workspace, layer, entity_key, part),
    ADD CONSTRAINT merged_feature_id_key UNIQUE (id, part);
CREATE INDEX merged_feature_geom ON merged_feature USING gist (geom);
CREATE INDEX merged_feature_seq ON merged_feature (change_seq);
CREATE INDEX merged_feature_muni ON merged_feature (workspace, municipality_code);
CREATE INDEX merged_feature_lapse ON merged_feature (valid_until) WHERE valid_until IS NOT NULL AND expired_seq IS NULL;
CREATE INDEX merged_feature_valid_geom ON merged_feature USING gist (geom) WHERE valid_until IS NOT NULL;
CREATE INDEX merged_feature_tile_cell ON merged_feature (workspace, layer, hub_tile_cell_x(tile_pt), hub_tile_cell_y(tile_pt)) WHERE valid_until IS NULL;
CREATE INDEX merged_feature_history ON merged_feature (workspace, received_at, history_id);
CREATE INDEX merged_feature_rank_until ON merged_feature (workspace, rank_until) WHERE rank_from IS NOT NULL;
CREATE INDEX merged_feature_rank_from ON merged_feature (workspace, rank_from) WHERE rank_from IS NOT NULL;
-- the existing indexes are taken over (same definitions); the two unique keys with part are built
ALTER TABLE merged_shared ADD CONSTRAINT merged_shared_part CHECK (part = '');
ALTER TABLE merged_feature ATTACH PARTITION merged_shared FOR VALUES IN ('');
ALTER TABLE merged_shared DROP CONSTRAINT merged_shared_part;

CREATE TRIGGER merged_feature_close_versions AFTER UPDATE ON merged_feature
REFERENCING OLD TABLE AS closed_rows NEW TABLE AS opened_rows FOR EACH STATEMENT EXECUTE FUNCTION merged_feature_close_versions();
CREATE TRIGGER merged_feature_close_deleted AFTER DELETE ON merged_feature
REFERENCING OLD TABLE AS closed_rows FOR EACH STATEMENT EXECUTE FUNCTION merged_feature_close_deleted();
CREATE TRIGGER merged_feature_tile_cells_ins AFTER INSERT ON merged_feature
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION hub_tile_cell_mark();
CREATE TRIGGER merged_feature_tile_cells_upd AFTER UPDATE ON merged_feature
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION hub_tile_cell_mark();
CREATE TRIGGER merged_feature_tile_cells_del AFTER DELETE ON merged_feature
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION hub_tile_cell_mark();

-- the view of 0049 again (a view names the table it was made on)
CREATE VIEW merged_feature_version AS
SELECT id, workspace, layer, entity_key, merged_id, municipality_code, name, address, geom, status, severity, observed_at,
       received_at, classification, attrs, provenance, conflicts, sources, version, deleted, valid_from, valid_until
FROM merged_feature_past
UNION ALL
SELECT history_id, workspace, layer, entity_key, id, municipality_code, name, address, geom, status, severity, observed_at,
       received_at, classification, attrs, provenance, conflicts, sources, version, false, valid_from, valid_until
FROM merged_feature;

-- ---------------------------------------------------------------- the cells' trigger on a partitioned table
-- In a statement trigger's transition table of a partitioned table, PostgreSQL 15 gives a routed row's stored generated
-- columns as null (new_rows.tile_pt of every row inserted or updated through merged_feature; seen here on 15.18). The
-- trigger of 0058 takes the tile point from the geometry where the transition table lacks it; merged_load (a plain
-- table, merge_bulk.sql) and rows read back from a partition have it.

-- What rows added to cells add (tile_cell_added's rows): the statement, over the relation given. The insert trigger runs
-- it over its transition table, a first load's bulk path over merged_load (hub_tile_cell_note_added).
CREATE FUNCTION hub_tile_cell_added_sql(rows text) RETURNS text LANGUAGE sql IMMUTABLE AS $f$
    SELECT format($q$
        INSERT INTO tile_cell_added
        SELECT txid_current(), n.workspace, n.layer, n.classification, n.sources,
               hub_tile_cell_x(n.tile_pt), hub_tile_cell_y(n.tile_pt),
               count(*), max(n.severity), max(n.observed_at), min(n.name),
               sum(hub_count(n.attrs -> 'evacuees')), sum(hub_count(n.attrs -> 'customers_out')),
               sum(ST_X(n.tile_pt)), sum(ST_Y(n.tile_pt))
        FROM %s n WHERE n.valid_until IS NULL
        GROUP BY 2, 3, 4, 5, 6, 7 $q$, rows)
$f$;

-- The cells of the rows of a table not yet attached (merged_load), noted as the insert trigger notes an insert's: a
-- statement trigger with a transition table on merged_load cost 1.1 s of a 110,000-row load's 2.5 s (the rows captured
-- into a tuplestore, then read again). Over the table itself the planner, which knows no cell's number of rows (they
-- are expressions of the tile point), sorts every row with its attributes to group them: 1.0–1.5 s, spilled to disk
-- (36 MB for 110,000 rows). Hashing the ~2,500 cells takes 0.29 s, so the sort is off while this function runs.
CREATE FUNCTION hub_tile_cell_note_added(rows regclass) RETURNS void LANGUAGE plpgsql SET enable_sort = off AS $f$
DECLARE
    noted bigint;
BEGIN
    EXECUTE hub_tile_cell_added_sql(rows::text);
    GET DIAGNOSTICS noted = ROW_COUNT;
    IF noted > 0 THEN
        INSERT INTO tile_cell_pending VALUES (txid_current()) ON CONFLICT DO NOTHING;
    END IF;
END
$f$;

CREATE OR REPLACE FUNCTION hub_tile_cell_mark() RETURNS trigger
LANGUAGE plpgsql AS $f$
DECLARE
    noted bigint := 0;
    grown bigint := 0;
    grows text;
BEGIN
    IF TG_OP = 'INSERT' THEN
        EXECUTE hub_tile_cell_added_sql('(SELECT id, workspace, layer, classification, sources, severity, observed_at, name, attrs, valid_until, coalesce(tile_pt, hub_tile_point(geom)) AS tile_pt FROM new_rows)');
        GET DIAGNOSTICS noted = ROW_COUNT;
    ELSIF TG_OP = 'DELETE' THEN
        -- counted per group: a group left with none of its rows is dropped from its cell at commit, any other recomputed
        EXECUTE $q$
        INSERT INTO tile_cell_removed
        SELECT txid_current(), o.workspace, o.layer, o.classification, o.sources,
               hub_tile_cell_x(o.tile_pt), hub_tile_cell_y(o.tile_pt), count(*)
        FROM (SELECT id, workspace, layer, classification, sources, severity, observed_at, name, attrs, valid_until, coalesce(tile_pt, hub_tile_point(geom)) AS tile_pt FROM old_rows) o WHERE o.valid_until IS NULL
        GROUP BY 2, 3, 4, 5, 6, 7 $q$;
        GET DIAGNOSTICS noted = ROW_COUNT;
    ELSE
        -- A changed row grows its cell when it is counted before and after, in the same cell, classification and
        -- sources, with the same name, a severity and observation time not lower, and each counted sum present in both
        -- states or in neither (an unchanged value is): the greatest and least values stay right when the new ones are
        -- taken in, so the difference is added (n + 0, the sums + new - old).
        grows := $c$ coalesce(o.valid_until IS NULL AND n.valid_until IS NULL
            AND (o.tile_pt = n.tile_pt OR (hub_tile_cell_x(o.tile_pt) = hub_tile_cell_x(n.tile_pt)
                                           AND hub_tile_cell_y(o.tile_pt) = hub_tile_cell_y(n.tile_pt)))
            AND o.workspace = n.workspace AND o.layer = n.layer AND o.classification = n.classification AND o.sources = n.sources
            AND o.name IS NOT DISTINCT FROM n.name
            AND coalesce(n.severity >= o.severity, o.severity IS NULL) AND n.observed_at >= o.observed_at
            AND ((n.attrs -> 'evacuees') IS NOT DISTINCT FROM (o.attrs -> 'evacuees')
                 OR coalesce(jsonb_typeof(n.attrs -> 'evacuees') = 'number', false) = coalesce(jsonb_typeof(o.attrs -> 'evacuees') = 'number', false))
            AND ((n.attrs -> 'customers_out') IS NOT DISTINCT FROM (o.attrs -> 'customers_out')
                 OR coalesce(jsonb_typeof(n.attrs -> 'customers_out') = 'number', false) = coalesce(jsonb_typeof(o.attrs -> 'customers_out') = 'number', false)),
            false) $c$;
        -- grown: how many changed rows did (when all did, as in a re-publication or a push that only raises counts,
        -- the statement that notes cells to recompute is not run: it would scan the rows again for none)
        EXECUTE $q$
        WITH g AS (
            SELECT n.workspace, n.layer, n.classification, n.sources,
                   hub_tile_cell_x(n.tile_pt) AS cx, hub_tile_cell_y(n.tile_pt) AS cy, count(*) AS rows,
                   max(n.severity) AS max_severity, max(n.observed_at) AS max_observed_at, min(n.name) AS name,
                   -- an unchanged value adds nothing (a sum of nothing leaves the cell's as it is)
                   sum(CASE WHEN (n.attrs -> 'evacuees') IS DISTINCT FROM (o.attrs -> 'evacuees')
                            THEN hub_count(n.attrs -> 'evacuees') - hub_count(o.attrs -> 'evacuees') END) AS evacuees,
                   sum(CASE WHEN (n.attrs -> 'customers_out') IS DISTINCT FROM (o.attrs -> 'customers_out')
                            THEN hub_count(n.attrs -> 'customers_out') - hub_count(o.attrs -> 'customers_out') END) AS customers_out,
                   sum(ST_X(n.tile_pt) - ST_X(o.tile_pt)) AS sx, sum(ST_Y(n.tile_pt) - ST_Y(o.tile_pt)) AS sy
            FROM (SELECT id, workspace, layer, classification, sources, severity, observed_at, name, attrs, valid_until, coalesce(tile_pt, hub_tile_point(geom)) AS tile_pt FROM old_rows) o JOIN (SELECT id, workspace, layer, classification, sources, severity, observed_at, name, attrs, valid_until, coalesce(tile_pt, hub_tile_point(geom)) AS tile_pt FROM new_rows) n ON n.id = o.id
            WHERE $q$ || grows || $q$
            GROUP BY 1, 2, 3, 4, 5, 6
        ), added AS (
            INSERT INTO tile_cell_added
            SELECT txid_current(), workspace, layer, classification, sources, cx, cy, 0, max_severity, max_observed_at, name,
                   evacuees, customers_out, sx, sy
            FROM g
        )
        SELECT coalesce(sum(rows), 0) FROM g $q$ INTO grown;
        IF grown < (SELECT count(*) FROM new_rows) THEN
            -- any other changed row: the new row's cell when it counts and the old row's when it counted are recomputed
            EXECUTE $q$
            INSERT INTO tile_cell_dirty
            SELECT DISTINCT txid_current(), c.workspace, c.layer, hub_tile_cell_x(c.p), hub_tile_cell_y(c.p)
            FROM (SELECT unnest(ARRAY[n.workspace, o.workspace]) AS workspace, unnest(ARRAY[n.layer, o.layer]) AS layer,
                         unnest(ARRAY[n.tile_pt, o.tile_pt]) AS p, unnest(ARRAY[n.valid_until, o.valid_until]) AS valid_until
                  FROM (SELECT id, workspace, layer, classification, sources, severity, observed_at, name, attrs, valid_until, coalesce(tile_pt, hub_tile_point(geom)) AS tile_pt FROM old_rows) o JOIN (SELECT id, workspace, layer, classification, sources, severity, observed_at, name, attrs, valid_until, coalesce(tile_pt, hub_tile_point(geom)) AS tile_pt FROM new_rows) n ON n.id = o.id
                  WHERE NOT $q$ || grows || $q$) c
            WHERE c.valid_until IS NULL $q$;
            GET DIAGNOSTICS noted = ROW_COUNT;
        END IF;
    END IF;
    -- a statement that touched no counted row (expiry, an alert's update) asks for no refresh at commit
    IF noted + grown > 0 THEN
        INSERT INTO tile_cell_pending VALUES (txid_current()) ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END
$f$;
