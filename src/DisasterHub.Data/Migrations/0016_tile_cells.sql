-- Precomputed low-zoom aggregates (issue 16 item 6). Below the cluster zoom a tile used to cluster every merged
-- point inside it at request time, so a national overview read every feature. tile_cell keeps, per workspace,
-- layer, classification and source set, one row per cell of a fixed grid (4096 × 4096 over Web Mercator: the 16 × 16
-- cluster grid of a z8 tile): count, highest severity, newest observation, the name (for a cell of one), the sums of
-- the counted attributes and the sums of the members' coordinates (their mean is the cluster's point). A tile at
-- z0–z8 groups the cells inside it (cx >> (8 - z), cy >> (8 - z)): a few hundred to a few thousand rows whatever the
-- number of features. Rows with a validity end (valid_until) are not in the cells: whether they count depends on
-- the reader's instant, so the tile adds them at request time (a partial index keeps that cheap).
--
-- Maintenance runs inside the writing transaction, whatever statement writes merged_feature (ingest, merge,
-- cancellation, replay, expiry): statement-level triggers note the cells of the old and new rows in
-- tile_cell_dirty, and one deferred trigger per transaction recomputes those cells from merged_feature at commit.
-- It first takes an advisory lock per (workspace, layer) in a fixed order, and each statement after it reads a fresh
-- snapshot, so two transactions writing the same cells recompute them one after the other, the second seeing the
-- first's rows: the cells are always what a recomputation from scratch would give (tests compare the two).

CREATE TABLE tile_cell (
    workspace       text NOT NULL,
    layer           text NOT NULL,
    classification  text NOT NULL,
    sources         text[] NOT NULL,
    cx              integer NOT NULL,
    cy              integer NOT NULL,
    n               bigint NOT NULL,
    max_severity    smallint,
    max_observed_at timestamptz NOT NULL,
    name            text,
    evacuees        numeric,
    customers_out   numeric,
    sx              double precision NOT NULL,
    sy              double precision NOT NULL,
    PRIMARY KEY (workspace, layer, cx, cy, classification, sources)
);

CREATE UNLOGGED TABLE tile_cell_dirty (
    txid      bigint NOT NULL,
    workspace text NOT NULL,
    layer     text NOT NULL,
    cx        integer NOT NULL,
    cy        integer NOT NULL
);
CREATE INDEX tile_cell_dirty_txid ON tile_cell_dirty (txid);
CREATE UNLOGGED TABLE tile_cell_pending (txid bigint PRIMARY KEY);

-- the rows a tile adds at request time
CREATE INDEX merged_feature_valid_geom ON merged_feature USING gist (geom) WHERE valid_until IS NOT NULL;

-- A geometry's representative point in Web Mercator (the point itself, else a point on its surface).
CREATE FUNCTION hub_tile_point(g geometry) RETURNS geometry
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT ST_Transform(CASE WHEN GeometryType(g) = 'POINT' THEN g ELSE ST_PointOnSurface(g) END, 3857)
$$;

-- The cell (0..4095, from the west and from the north) of a Web Mercator point.
CREATE FUNCTION hub_tile_cell_x(p geometry) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT least(greatest(floor((ST_X(p) + 20037508.342789244) / (40075016.68557849 / 4096)), 0), 4095)::integer
$$;
CREATE FUNCTION hub_tile_cell_y(p geometry) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT least(greatest(floor((20037508.342789244 - ST_Y(p)) / (40075016.68557849 / 4096)), 0), 4095)::integer
$$;

-- Each merged row keeps its representative point (generated from geom on every write), and an index finds the rows
-- of a cell by equality: recomputing cells is an index lookup per cell, or one hash join for a bulk write.
ALTER TABLE merged_feature ADD COLUMN tile_pt geometry GENERATED ALWAYS AS (hub_tile_point(geom)) STORED;
CREATE INDEX merged_feature_tile_cell ON merged_feature (workspace, layer, hub_tile_cell_x(tile_pt), hub_tile_cell_y(tile_pt))
    WHERE valid_until IS NULL;

-- The cells as a recomputation from scratch gives them, for the rows given (used by the refresh and by tests).
CREATE FUNCTION hub_tile_cells_of(rows_workspace text, rows_layer text)
RETURNS SETOF tile_cell LANGUAGE sql STABLE AS $$
    SELECT m.workspace, m.layer, m.classification, m.sources, hub_tile_cell_x(p.p), hub_tile_cell_y(p.p),
           count(*), max(m.severity), max(m.observed_at), min(m.name),
           sum(hub_count(m.attrs -> 'evacuees')), sum(hub_count(m.attrs -> 'customers_out')),
           sum(ST_X(p.p)), sum(ST_Y(p.p))
    FROM merged_feature m, LATERAL (SELECT hub_tile_point(m.geom) AS p) p  -- from geom, not tile_pt: checks the column too
    WHERE m.valid_until IS NULL
      AND (rows_workspace IS NULL OR m.workspace = rows_workspace) AND (rows_layer IS NULL OR m.layer = rows_layer)
    GROUP BY 1, 2, 3, 4, 5, 6
$$;

-- Statement triggers: note the cells the old and new rows sit in (rows with a validity end are not in cells).
CREATE FUNCTION hub_tile_cell_mark() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    noted bigint;
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO tile_cell_dirty
        SELECT DISTINCT txid_current(), n.workspace, n.layer, hub_tile_cell_x(n.tile_pt), hub_tile_cell_y(n.tile_pt)
        FROM new_rows n WHERE n.valid_until IS NULL;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO tile_cell_dirty
        SELECT DISTINCT txid_current(), o.workspace, o.layer, hub_tile_cell_x(o.tile_pt), hub_tile_cell_y(o.tile_pt)
        FROM old_rows o WHERE o.valid_until IS NULL;
    ELSE
        -- the new row's cell when it counts; the old row's when it counted and moved or stopped counting
        -- (an unchanged geometry sits in the same cell, already noted through the new row)
        INSERT INTO tile_cell_dirty
        SELECT DISTINCT txid_current(), c.workspace, c.layer, hub_tile_cell_x(c.p), hub_tile_cell_y(c.p)
        FROM (
            SELECT n.workspace, n.layer, n.tile_pt AS p FROM new_rows n WHERE n.valid_until IS NULL
            UNION ALL
            SELECT o.workspace, o.layer, o.tile_pt
            FROM old_rows o JOIN new_rows n ON n.id = o.id
            WHERE o.valid_until IS NULL AND (n.valid_until IS NOT NULL OR NOT (o.tile_pt = n.tile_pt))
        ) c;
    END IF;
    -- a statement that touched no counted row (expiry, an alert's update) asks for no refresh at commit
    GET DIAGNOSTICS noted = ROW_COUNT;
    IF noted > 0 THEN
        INSERT INTO tile_cell_pending VALUES (txid_current()) ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER merged_feature_tile_cells_ins AFTER INSERT ON merged_feature
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION hub_tile_cell_mark();
CREATE TRIGGER merged_feature_tile_cells_upd AFTER UPDATE ON merged_feature
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION hub_tile_cell_mark();
CREATE TRIGGER merged_feature_tile_cells_del AFTER DELETE ON merged_feature
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION hub_tile_cell_mark();

-- At commit, once per transaction: recompute the noted cells from merged_feature.
CREATE FUNCTION hub_tile_cell_refresh() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    k record;
    me bigint := txid_current();
BEGIN
    DELETE FROM tile_cell_pending WHERE txid = me;
    FOR k IN SELECT DISTINCT workspace, layer FROM tile_cell_dirty WHERE txid = me ORDER BY workspace, layer LOOP
        PERFORM pg_advisory_xact_lock(hashtextextended('tile_cell:' || k.workspace || ':' || k.layer, 0));
    END LOOP;
    -- every statement from here reads a fresh snapshot: what another transaction holding the lock committed is seen
    DELETE FROM tile_cell t USING (SELECT DISTINCT workspace, layer, cx, cy FROM tile_cell_dirty WHERE txid = me) w
    WHERE t.workspace = w.workspace AND t.layer = w.layer AND t.cx = w.cx AND t.cy = w.cy;
    INSERT INTO tile_cell
    SELECT m.workspace, m.layer, m.classification, m.sources, w.cx, w.cy,
           count(*), max(m.severity), max(m.observed_at), min(m.name),
           sum(hub_count(m.attrs -> 'evacuees')), sum(hub_count(m.attrs -> 'customers_out')),
           sum(ST_X(m.tile_pt)), sum(ST_Y(m.tile_pt))
    FROM (SELECT DISTINCT workspace, layer, cx, cy FROM tile_cell_dirty WHERE txid = me) w
    JOIN merged_feature m ON m.workspace = w.workspace AND m.layer = w.layer AND m.valid_until IS NULL
     AND hub_tile_cell_x(m.tile_pt) = w.cx AND hub_tile_cell_y(m.tile_pt) = w.cy
    GROUP BY m.workspace, m.layer, m.classification, m.sources, w.cx, w.cy;
    DELETE FROM tile_cell_dirty WHERE txid = me;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER tile_cell_pending_refresh AFTER INSERT ON tile_cell_pending
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION hub_tile_cell_refresh();

-- what merged_feature holds already
INSERT INTO tile_cell SELECT * FROM hub_tile_cells_of(NULL, NULL);
