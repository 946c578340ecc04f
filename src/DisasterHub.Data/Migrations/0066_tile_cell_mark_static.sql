-- The cells' mark triggers (0058/0061/0063) with their statements written out per kind, so they are planned once a
-- connection instead of at every statement that writes merged_feature or feature.
--
-- hub_tile_cell_mark() built each statement with format() from the kind and ran it with EXECUTE: PL/pgSQL plans an
-- EXECUTE every time. On a small push the two kinds' update triggers planned ~1.5 ms of statements that then ran in
-- ~0.1 ms (pg_stat_statements, a national database). Here the same statements are substituted once, when this
-- migration runs, into one trigger function per kind (hub_tile_cell_mark_merged, hub_tile_cell_mark_feature), whose
-- statements PL/pgSQL prepares on first use and keeps for the connection. (Kept only while the connection is not reset
-- with DISCARD ALL: Npgsql resets a pooled connection without it once the connection holds a prepared statement, as
-- the write pool's do since the subscription dispatcher prepares its match.)
--
-- The statements are those of 0063, unchanged; what they do is described there.

CREATE FUNCTION hub_tile_cell_mark_body(kind text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $f$
DECLARE
    cells text := hub_tile_cell_table(kind);
    old_shape text := hub_tile_cell_rows(kind, 'old_rows');
    new_shape text := hub_tile_cell_rows(kind, 'new_rows');
    grows text := $c$ coalesce(o.valid_until IS NULL AND n.valid_until IS NULL
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
BEGIN
    RETURN format($b$
DECLARE
    noted bigint := 0;
    grown bigint := 0;
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF NOT EXISTS (SELECT 1 FROM old_rows) THEN RETURN NULL; END IF;
    ELSIF NOT EXISTS (SELECT 1 FROM new_rows) THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        %1$s;
        GET DIAGNOSTICS noted = ROW_COUNT;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO %2$I
        SELECT txid_current(), o.workspace, o.layer, o.classification, o.sources,
               hub_tile_cell_x(o.tile_pt), hub_tile_cell_y(o.tile_pt), count(*)
        FROM %5$s o WHERE o.valid_until IS NULL
        GROUP BY 2, 3, 4, 5, 6, 7;
        GET DIAGNOSTICS noted = ROW_COUNT;
    ELSE
        WITH g AS (
            SELECT n.workspace, n.layer, n.classification, n.sources,
                   hub_tile_cell_x(n.tile_pt) AS cx, hub_tile_cell_y(n.tile_pt) AS cy, count(*) AS rows,
                   max(n.severity) AS max_severity, max(n.observed_at) AS max_observed_at, min(n.name) AS name,
                   sum(CASE WHEN (n.attrs -> 'evacuees') IS DISTINCT FROM (o.attrs -> 'evacuees')
                            THEN hub_count(n.attrs -> 'evacuees') - hub_count(o.attrs -> 'evacuees') END) AS evacuees,
                   sum(CASE WHEN (n.attrs -> 'customers_out') IS DISTINCT FROM (o.attrs -> 'customers_out')
                            THEN hub_count(n.attrs -> 'customers_out') - hub_count(o.attrs -> 'customers_out') END) AS customers_out,
                   sum(ST_X(n.tile_pt) - ST_X(o.tile_pt)) AS sx, sum(ST_Y(n.tile_pt) - ST_Y(o.tile_pt)) AS sy
            FROM %5$s o JOIN %6$s n ON n.id = o.id
            WHERE %7$s
            GROUP BY 1, 2, 3, 4, 5, 6
        ), added AS (
            INSERT INTO %3$I
            SELECT txid_current(), workspace, layer, classification, sources, cx, cy, 0, max_severity, max_observed_at, name,
                   evacuees, customers_out, sx, sy
            FROM g
        )
        SELECT coalesce(sum(rows), 0) INTO grown FROM g;
        IF grown < (SELECT count(*) FROM new_rows) THEN
            INSERT INTO %4$I
            SELECT DISTINCT txid_current(), c.workspace, c.layer, hub_tile_cell_x(c.p), hub_tile_cell_y(c.p)
            FROM (SELECT unnest(ARRAY[n.workspace, o.workspace]) AS workspace, unnest(ARRAY[n.layer, o.layer]) AS layer,
                         unnest(ARRAY[n.tile_pt, o.tile_pt]) AS p, unnest(ARRAY[n.valid_until, o.valid_until]) AS valid_until
                  FROM %5$s o JOIN %6$s n ON n.id = o.id
                  WHERE NOT %7$s) c
            WHERE c.valid_until IS NULL;
            GET DIAGNOSTICS noted = ROW_COUNT;
        END IF;
    END IF;
    IF noted + grown > 0 THEN
        INSERT INTO %8$I VALUES (txid_current()) ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END
$b$, hub_tile_cell_added_sql(new_shape, kind), cells || '_removed', cells || '_added', cells || '_dirty',
     old_shape, new_shape, grows, cells || '_pending');
END
$f$;

DO $do$
DECLARE
    kind text;
BEGIN
    FOREACH kind IN ARRAY ARRAY['merged', 'feature'] LOOP
        EXECUTE format('CREATE FUNCTION %I() RETURNS trigger LANGUAGE plpgsql AS %L', 'hub_tile_cell_mark_' || kind, hub_tile_cell_mark_body(kind));
    END LOOP;
END
$do$;

DROP TRIGGER merged_feature_tile_cells_ins ON merged_feature;
DROP TRIGGER merged_feature_tile_cells_upd ON merged_feature;
DROP TRIGGER merged_feature_tile_cells_del ON merged_feature;
DROP TRIGGER feature_tile_cells_ins ON feature;
DROP TRIGGER feature_tile_cells_upd ON feature;
DROP TRIGGER feature_tile_cells_del ON feature;

CREATE TRIGGER merged_feature_tile_cells_ins AFTER INSERT ON merged_feature
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION hub_tile_cell_mark_merged();
CREATE TRIGGER merged_feature_tile_cells_upd AFTER UPDATE ON merged_feature
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION hub_tile_cell_mark_merged();
CREATE TRIGGER merged_feature_tile_cells_del AFTER DELETE ON merged_feature
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION hub_tile_cell_mark_merged();
CREATE TRIGGER feature_tile_cells_ins AFTER INSERT ON feature
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION hub_tile_cell_mark_feature();
CREATE TRIGGER feature_tile_cells_upd AFTER UPDATE ON feature
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION hub_tile_cell_mark_feature();
CREATE TRIGGER feature_tile_cells_del AFTER DELETE ON feature
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION hub_tile_cell_mark_feature();

-- the dynamic one is no longer called
DROP FUNCTION hub_tile_cell_mark();
