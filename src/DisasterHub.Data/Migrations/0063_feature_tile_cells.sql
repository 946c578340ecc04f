-- Precomputed low-zoom cells for the per-source layer tiles too (issue 16 item 6), not only for the merged layers.
--
-- /tiles/{layer}/{z}/{x}/{y}.mvt draws one EEI layer as every source reports it (the map's per-source mode). Below the
-- cluster zoom it clustered every feature in the tile at request time: at 1,000,000 features a z0 tile took 6.9–9.8 s,
-- a z5 tile 4.3 s, and reading the rows alone, without clustering them, ~1 s. feature_tile_cell is tile_cell (0016) for
-- feature: per workspace, layer, classification, source (sources = ARRAY[source_id]) and cell, the same aggregates.
--
-- It is kept by the same functions as tile_cell, now given which cells they keep (kind 'merged' or 'feature'):
-- statement triggers on feature note what each statement added, changed or removed in feature_tile_cell_added /
-- _removed / _dirty, and one deferred trigger per transaction applies it at commit (0058's rules, the lock per
-- workspace and layer taken first). feature has no stored tile point: its rows' point is hub_tile_point(geom), and an
-- index on the cell of that expression finds a cell's rows when one is recomputed. A source's first load into a fresh
-- partition notes its cells from feature_load before the attach (hub_tile_cell_note_added, ingest_bulk_features.sql).

CREATE TABLE feature_tile_cell (LIKE tile_cell INCLUDING ALL);
CREATE UNLOGGED TABLE feature_tile_cell_dirty (LIKE tile_cell_dirty INCLUDING ALL);
CREATE UNLOGGED TABLE feature_tile_cell_added (LIKE tile_cell_added INCLUDING ALL);
CREATE UNLOGGED TABLE feature_tile_cell_removed (LIKE tile_cell_removed INCLUDING ALL);
CREATE UNLOGGED TABLE feature_tile_cell_pending (LIKE tile_cell_pending INCLUDING ALL);

-- a cell's feature rows by equality (recomputing a cell), and the rows a tile adds at request time (with a validity end)
CREATE INDEX feature_tile_cell_rows ON feature (workspace, layer, hub_tile_cell_x(hub_tile_point(geom)), hub_tile_cell_y(hub_tile_point(geom)))
    WHERE valid_until IS NULL;
CREATE INDEX feature_valid_geom ON feature USING gist (geom) WHERE valid_until IS NOT NULL;

-- The cells table a kind keeps: tile_cell for the merged rows, feature_tile_cell for the per-source ones. Its side
-- tables are named after it (_added, _removed, _dirty, _pending).
CREATE FUNCTION hub_tile_cell_table(kind text) RETURNS text LANGUAGE sql IMMUTABLE AS $f$
    SELECT CASE kind WHEN 'merged' THEN 'tile_cell' WHEN 'feature' THEN 'feature_tile_cell' END
$f$;

-- A relation's rows in the shape the cells are kept from: merged rows as they are (a transition table of the
-- partitioned merged_feature lacks the stored tile point: 0061), a feature row with its source as the source set and
-- its tile point from its geometry. Fenced, that point is computed once a row (OFFSET 0 keeps the subquery apart:
-- pulled up, it was computed for each of its four uses, 0.62 s of a 110,000-row first load's notes); unfenced, a
-- condition on its cell reaches feature's index on that expression (a cell recomputed).
CREATE FUNCTION hub_tile_cell_rows(kind text, rel text, fenced boolean DEFAULT true) RETURNS text LANGUAGE sql IMMUTABLE AS $f$
    SELECT format(CASE kind
        WHEN 'merged' THEN '(SELECT id, workspace, layer, classification, sources, severity, observed_at, name, attrs, valid_until, geom, coalesce(tile_pt, hub_tile_point(geom)) AS tile_pt FROM %s)'
        WHEN 'feature' THEN '(SELECT id, workspace, layer, classification, ARRAY[source_id] AS sources, severity, observed_at, name, attrs, valid_until, geom, hub_tile_point(geom) AS tile_pt FROM %s'
                            || CASE WHEN fenced THEN ' OFFSET 0)' ELSE ')' END
        END, rel)
$f$;

-- The rows a kind's cells are recomputed from: merged_feature itself (its cell index is on the stored tile point), or
-- feature in the shape above, unfenced.
CREATE FUNCTION hub_tile_cell_source(kind text) RETURNS text LANGUAGE sql IMMUTABLE AS $f$
    SELECT CASE kind WHEN 'merged' THEN 'merged_feature' ELSE hub_tile_cell_rows(kind, 'feature', false) END
$f$;

-- The cells as a recomputation from scratch gives them (tests; the initial fill below), for either kind.
CREATE FUNCTION hub_tile_cells_of(rows_workspace text, rows_layer text, kind text)
RETURNS SETOF tile_cell LANGUAGE plpgsql STABLE AS $f$
BEGIN
    RETURN QUERY EXECUTE format($q$
        SELECT m.workspace, m.layer, m.classification, m.sources, hub_tile_cell_x(p.p), hub_tile_cell_y(p.p),
               count(*), max(m.severity), max(m.observed_at), min(m.name),
               sum(hub_count(m.attrs -> 'evacuees')), sum(hub_count(m.attrs -> 'customers_out')),
               sum(ST_X(p.p)), sum(ST_Y(p.p))
        FROM %s m, LATERAL (SELECT hub_tile_point(m.geom) AS p) p
        WHERE m.valid_until IS NULL AND ($1 IS NULL OR m.workspace = $1) AND ($2 IS NULL OR m.layer = $2)
        GROUP BY 1, 2, 3, 4, 5, 6 $q$, hub_tile_cell_source(kind))
    USING rows_workspace, rows_layer;
END
$f$;

-- 0016's recomputation of the merged cells is the one above.
CREATE OR REPLACE FUNCTION hub_tile_cells_of(rows_workspace text, rows_layer text) RETURNS SETOF tile_cell LANGUAGE sql STABLE AS $f$
    SELECT * FROM hub_tile_cells_of(rows_workspace, rows_layer, 'merged')
$f$;

-- What rows added to cells add: the statement, over the relation given (already in the cells' shape).
DROP FUNCTION hub_tile_cell_note_added(regclass);
DROP FUNCTION hub_tile_cell_added_sql(text);
CREATE FUNCTION hub_tile_cell_added_sql(rows text, kind text) RETURNS text LANGUAGE sql IMMUTABLE AS $f$
    SELECT format($q$
        INSERT INTO %I
        SELECT txid_current(), n.workspace, n.layer, n.classification, n.sources,
               hub_tile_cell_x(n.tile_pt), hub_tile_cell_y(n.tile_pt),
               count(*), max(n.severity), max(n.observed_at), min(n.name),
               sum(hub_count(n.attrs -> 'evacuees')), sum(hub_count(n.attrs -> 'customers_out')),
               sum(ST_X(n.tile_pt)), sum(ST_Y(n.tile_pt))
        FROM %s n WHERE n.valid_until IS NULL
        GROUP BY 2, 3, 4, 5, 6, 7 $q$, hub_tile_cell_table(kind) || '_added', rows)
$f$;

-- The cells of a table not yet attached (merged_load, feature_load), noted as the insert trigger notes an insert's
-- (0061: no transition table, no sort).
CREATE FUNCTION hub_tile_cell_note_added(rows regclass, kind text DEFAULT 'merged') RETURNS void LANGUAGE plpgsql SET enable_sort = off AS $f$
DECLARE
    noted bigint;
BEGIN
    EXECUTE hub_tile_cell_added_sql(hub_tile_cell_rows(kind, rows::text), kind);
    GET DIAGNOSTICS noted = ROW_COUNT;
    IF noted > 0 THEN
        EXECUTE format('INSERT INTO %I VALUES (txid_current()) ON CONFLICT DO NOTHING', hub_tile_cell_table(kind) || '_pending');
    END IF;
END
$f$;

-- The statement triggers of 0058/0061, for the kind given as the trigger's argument (none: merged).
CREATE OR REPLACE FUNCTION hub_tile_cell_mark() RETURNS trigger
LANGUAGE plpgsql AS $f$
DECLARE
    kind text := CASE WHEN TG_NARGS > 0 THEN TG_ARGV[0] ELSE 'merged' END;
    cells text := hub_tile_cell_table(kind);
    old_shape text := hub_tile_cell_rows(kind, 'old_rows');
    new_shape text := hub_tile_cell_rows(kind, 'new_rows');
    noted bigint := 0;
    grown bigint := 0;
    grows text;
BEGIN
    -- a statement that wrote no row (the insert half of an upsert that only updated) plans nothing: each statement
    -- below is planned at every call (EXECUTE), a few milliseconds of every small push
    IF TG_OP = 'DELETE' THEN
        IF NOT EXISTS (SELECT 1 FROM old_rows) THEN RETURN NULL; END IF;
    ELSIF NOT EXISTS (SELECT 1 FROM new_rows) THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        EXECUTE hub_tile_cell_added_sql(new_shape, kind);
        GET DIAGNOSTICS noted = ROW_COUNT;
    ELSIF TG_OP = 'DELETE' THEN
        -- counted per group: a group left with none of its rows is dropped from its cell at commit, any other recomputed
        EXECUTE format($q$
        INSERT INTO %I
        SELECT txid_current(), o.workspace, o.layer, o.classification, o.sources,
               hub_tile_cell_x(o.tile_pt), hub_tile_cell_y(o.tile_pt), count(*)
        FROM %s o WHERE o.valid_until IS NULL
        GROUP BY 2, 3, 4, 5, 6, 7 $q$, cells || '_removed', old_shape);
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
        EXECUTE format($q$
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
            FROM %2$s o JOIN %3$s n ON n.id = o.id
            WHERE %4$s
            GROUP BY 1, 2, 3, 4, 5, 6
        ), added AS (
            INSERT INTO %1$I
            SELECT txid_current(), workspace, layer, classification, sources, cx, cy, 0, max_severity, max_observed_at, name,
                   evacuees, customers_out, sx, sy
            FROM g
        )
        SELECT coalesce(sum(rows), 0) FROM g $q$, cells || '_added', old_shape, new_shape, grows) INTO grown;
        IF grown < (SELECT count(*) FROM new_rows) THEN
            -- any other changed row: the new row's cell when it counts and the old row's when it counted are recomputed
            EXECUTE format($q$
            INSERT INTO %1$I
            SELECT DISTINCT txid_current(), c.workspace, c.layer, hub_tile_cell_x(c.p), hub_tile_cell_y(c.p)
            FROM (SELECT unnest(ARRAY[n.workspace, o.workspace]) AS workspace, unnest(ARRAY[n.layer, o.layer]) AS layer,
                         unnest(ARRAY[n.tile_pt, o.tile_pt]) AS p, unnest(ARRAY[n.valid_until, o.valid_until]) AS valid_until
                  FROM %2$s o JOIN %3$s n ON n.id = o.id
                  WHERE NOT %4$s) c
            WHERE c.valid_until IS NULL $q$, cells || '_dirty', old_shape, new_shape, grows);
            GET DIAGNOSTICS noted = ROW_COUNT;
        END IF;
    END IF;
    -- a statement that touched no counted row (expiry, an alert's update) asks for no refresh at commit
    IF noted + grown > 0 THEN
        EXECUTE format('INSERT INTO %I VALUES (txid_current()) ON CONFLICT DO NOTHING', cells || '_pending');
    END IF;
    RETURN NULL;
END
$f$;

-- At commit, once per transaction and kind (0058): drop the groups left empty, recompute the cells noted dirty, and
-- add the added rows to every other cell.
CREATE OR REPLACE FUNCTION hub_tile_cell_refresh() RETURNS trigger
LANGUAGE plpgsql AS $f$
DECLARE
    kind text := CASE WHEN TG_NARGS > 0 THEN TG_ARGV[0] ELSE 'merged' END;
    cells text := hub_tile_cell_table(kind);
    k record;
    me bigint := txid_current();
    -- which of the transaction's notes there are: each step below runs only when it has something to do (its
    -- statements are planned at every commit, EXECUTE; these checks are static, planned once a connection)
    has_removed boolean := CASE kind WHEN 'merged' THEN EXISTS (SELECT 1 FROM tile_cell_removed WHERE txid = me)
                                     ELSE EXISTS (SELECT 1 FROM feature_tile_cell_removed WHERE txid = me) END;
    has_added boolean := CASE kind WHEN 'merged' THEN EXISTS (SELECT 1 FROM tile_cell_added WHERE txid = me)
                                   ELSE EXISTS (SELECT 1 FROM feature_tile_cell_added WHERE txid = me) END;
    has_dirty boolean;
BEGIN
    EXECUTE format('DELETE FROM %I WHERE txid = $1', cells || '_pending') USING me;
    FOR k IN EXECUTE format($q$
             SELECT workspace, layer FROM %1$I WHERE txid = $1
             UNION SELECT workspace, layer FROM %2$I WHERE txid = $1
             UNION SELECT workspace, layer FROM %3$I WHERE txid = $1
             ORDER BY workspace, layer $q$, cells || '_dirty', cells || '_added', cells || '_removed') USING me LOOP
        PERFORM pg_advisory_xact_lock(hashtextextended(cells || ':' || k.workspace || ':' || k.layer, 0));
    END LOOP;
    -- every statement from here reads a fresh snapshot: what another transaction holding the lock committed is seen
    -- Removed rows: a group whose every row this transaction removed (its committed count, exactly) leaves its cell,
    -- when nothing else in the cell changed in this transaction; every other cell they were in is recomputed.
    IF has_removed THEN
    EXECUTE format($q$
    WITH r AS (
        SELECT workspace, layer, classification, sources, cx, cy, sum(n) AS n
        FROM %3$I WHERE txid = $1
        GROUP BY workspace, layer, classification, sources, cx, cy
    ), mixed AS (
        SELECT DISTINCT r.workspace, r.layer, r.cx, r.cy
        FROM r LEFT JOIN %1$I t
          ON (t.workspace, t.layer, t.cx, t.cy, t.classification, t.sources) = (r.workspace, r.layer, r.cx, r.cy, r.classification, r.sources)
        WHERE t.n IS DISTINCT FROM r.n
           OR EXISTS (SELECT 1 FROM %2$I a
                      WHERE a.txid = $1 AND (a.workspace, a.layer, a.cx, a.cy) = (r.workspace, r.layer, r.cx, r.cy))
           OR EXISTS (SELECT 1 FROM %4$I d
                      WHERE d.txid = $1 AND (d.workspace, d.layer, d.cx, d.cy) = (r.workspace, r.layer, r.cx, r.cy))
    ), noted AS (
        INSERT INTO %4$I SELECT $1, workspace, layer, cx, cy FROM mixed
    )
    DELETE FROM %1$I t USING r
    WHERE (t.workspace, t.layer, t.cx, t.cy, t.classification, t.sources) = (r.workspace, r.layer, r.cx, r.cy, r.classification, r.sources)
      AND NOT EXISTS (SELECT 1 FROM mixed m WHERE (m.workspace, m.layer, m.cx, m.cy) = (r.workspace, r.layer, r.cx, r.cy)) $q$,
      cells, cells || '_added', cells || '_removed', cells || '_dirty')
    USING me;
    END IF;
    has_dirty := CASE kind WHEN 'merged' THEN EXISTS (SELECT 1 FROM tile_cell_dirty WHERE txid = me)
                           ELSE EXISTS (SELECT 1 FROM feature_tile_cell_dirty WHERE txid = me) END;
    IF has_dirty THEN
    EXECUTE format($q$
    DELETE FROM %1$I t USING (SELECT DISTINCT workspace, layer, cx, cy FROM %2$I WHERE txid = $1) w
    WHERE t.workspace = w.workspace AND t.layer = w.layer AND t.cx = w.cx AND t.cy = w.cy $q$, cells, cells || '_dirty')
    USING me;
    -- the dirty cells recomputed from their rows, found through the cell index of each kind (merged_feature_tile_cell on
    -- the stored tile point, feature_tile_cell_rows on the point of the geometry)
    EXECUTE format($q$
    INSERT INTO %1$I
    SELECT m.workspace, m.layer, m.classification, m.sources, w.cx, w.cy,
           count(*), max(m.severity), max(m.observed_at), min(m.name),
           sum(hub_count(m.attrs -> 'evacuees')), sum(hub_count(m.attrs -> 'customers_out')),
           sum(ST_X(m.tile_pt)), sum(ST_Y(m.tile_pt))
    FROM (SELECT DISTINCT workspace, layer, cx, cy FROM %2$I WHERE txid = $1) w
    JOIN %3$s m ON m.workspace = w.workspace AND m.layer = w.layer AND m.valid_until IS NULL
     AND hub_tile_cell_x(m.tile_pt) = w.cx AND hub_tile_cell_y(m.tile_pt) = w.cy
    GROUP BY m.workspace, m.layer, m.classification, m.sources, w.cx, w.cy $q$, cells, cells || '_dirty', hub_tile_cell_source(kind))
    USING me;
    END IF;
    -- the cells not recomputed: what this transaction's statements added, summed up, added to what the cell holds
    -- (a sum of nothing is null, as in a recomputation)
    IF has_added THEN
    EXECUTE format($q$
    INSERT INTO %1$I AS t
    SELECT a.workspace, a.layer, a.classification, a.sources, a.cx, a.cy,
           sum(a.n), max(a.max_severity), max(a.max_observed_at), min(a.name),
           sum(a.evacuees), sum(a.customers_out), sum(a.sx), sum(a.sy)
    FROM %2$I a
    WHERE a.txid = $1
      AND NOT EXISTS (SELECT 1 FROM %3$I d
                      WHERE d.txid = $1 AND d.workspace = a.workspace AND d.layer = a.layer AND d.cx = a.cx AND d.cy = a.cy)
    GROUP BY a.workspace, a.layer, a.classification, a.sources, a.cx, a.cy
    ON CONFLICT (workspace, layer, cx, cy, classification, sources) DO UPDATE SET
        n = t.n + EXCLUDED.n,
        max_severity = greatest(t.max_severity, EXCLUDED.max_severity),
        max_observed_at = greatest(t.max_observed_at, EXCLUDED.max_observed_at),
        name = least(t.name, EXCLUDED.name),
        evacuees = CASE WHEN t.evacuees IS NULL THEN EXCLUDED.evacuees WHEN EXCLUDED.evacuees IS NULL THEN t.evacuees
                        ELSE t.evacuees + EXCLUDED.evacuees END,
        customers_out = CASE WHEN t.customers_out IS NULL THEN EXCLUDED.customers_out WHEN EXCLUDED.customers_out IS NULL
                             THEN t.customers_out ELSE t.customers_out + EXCLUDED.customers_out END,
        sx = t.sx + EXCLUDED.sx,
        sy = t.sy + EXCLUDED.sy $q$, cells, cells || '_added', cells || '_dirty') USING me;
    EXECUTE format('DELETE FROM %I WHERE txid = $1', cells || '_added') USING me;
    END IF;
    IF has_dirty THEN EXECUTE format('DELETE FROM %I WHERE txid = $1', cells || '_dirty') USING me; END IF;
    IF has_removed THEN EXECUTE format('DELETE FROM %I WHERE txid = $1', cells || '_removed') USING me; END IF;
    RETURN NULL;
END
$f$;

CREATE CONSTRAINT TRIGGER feature_tile_cell_pending_refresh AFTER INSERT ON feature_tile_cell_pending
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION hub_tile_cell_refresh('feature');

CREATE TRIGGER feature_tile_cells_ins AFTER INSERT ON feature
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION hub_tile_cell_mark('feature');
CREATE TRIGGER feature_tile_cells_upd AFTER UPDATE ON feature
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION hub_tile_cell_mark('feature');
CREATE TRIGGER feature_tile_cells_del AFTER DELETE ON feature
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION hub_tile_cell_mark('feature');

-- what feature holds already
INSERT INTO feature_tile_cell SELECT * FROM hub_tile_cells_of(NULL, NULL, 'feature');
