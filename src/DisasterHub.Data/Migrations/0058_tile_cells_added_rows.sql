-- A cell whose rows a transaction only added is brought up to date by adding those rows' aggregates to it, instead
-- of being recomputed from every row it holds (migration 0016).
--
-- Before, the commit of a national first load recomputed each cell the new rows fell in from all of merged_feature's
-- rows in it. The second and third 110,000-row sources into the same layer committed in ~1.6 s against ~0.4 s for the
-- first, because those cells already held the first source's rows, and a 1,000,000-row first load committed in ~5 s.
-- Every column of a cell can absorb added rows: the count and the sums add up, the highest severity and newest
-- observation are the greater of the two, the name (the cell's least) the lesser.
--
-- Removed or changed rows cannot be handled that way (the greatest value of what is left is not known), so those
-- cells are noted in tile_cell_dirty as before and recomputed. A cell noted there in the same transaction is
-- recomputed, and the rows this transaction added to it are counted by the recomputation and not added again.
-- Concurrent writers keep the order of 0016: the refresh takes the (workspace, layer) locks first and then reads or
-- updates each cell as committed by whoever held the lock before, so adding to it is as exact as recomputing it (the
-- tests compare the cells with a recomputation from scratch, with two organizations pushing into the same cells at once).
CREATE UNLOGGED TABLE tile_cell_added (
    txid            bigint NOT NULL,
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
    sy              double precision NOT NULL
);
CREATE INDEX tile_cell_added_txid ON tile_cell_added (txid);

-- A statement's added rows: their aggregates per cell (planned for this statement's rows: see migration 0054).
CREATE OR REPLACE FUNCTION hub_tile_cell_mark() RETURNS trigger
LANGUAGE plpgsql AS $f$
DECLARE
    noted bigint;
BEGIN
    IF TG_OP = 'INSERT' THEN
        EXECUTE $q$
        INSERT INTO tile_cell_added
        SELECT txid_current(), n.workspace, n.layer, n.classification, n.sources,
               hub_tile_cell_x(n.tile_pt), hub_tile_cell_y(n.tile_pt),
               count(*), max(n.severity), max(n.observed_at), min(n.name),
               sum(hub_count(n.attrs -> 'evacuees')), sum(hub_count(n.attrs -> 'customers_out')),
               sum(ST_X(n.tile_pt)), sum(ST_Y(n.tile_pt))
        FROM new_rows n WHERE n.valid_until IS NULL
        GROUP BY 2, 3, 4, 5, 6, 7 $q$;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO tile_cell_dirty
        SELECT DISTINCT txid_current(), o.workspace, o.layer, hub_tile_cell_x(o.tile_pt), hub_tile_cell_y(o.tile_pt)
        FROM old_rows o WHERE o.valid_until IS NULL;
    ELSE
        -- the new row's cell when it counts; the old row's when it counted and moved or stopped counting
        -- (an unchanged geometry sits in the same cell, already noted through the new row)
        EXECUTE $q$
        INSERT INTO tile_cell_dirty
        SELECT DISTINCT txid_current(), c.workspace, c.layer, hub_tile_cell_x(c.p), hub_tile_cell_y(c.p)
        FROM (
            SELECT n.workspace, n.layer, n.tile_pt AS p FROM new_rows n WHERE n.valid_until IS NULL
            UNION ALL
            SELECT o.workspace, o.layer, o.tile_pt
            FROM old_rows o JOIN new_rows n ON n.id = o.id
            WHERE o.valid_until IS NULL AND (n.valid_until IS NOT NULL OR NOT (o.tile_pt = n.tile_pt))
        ) c $q$;
    END IF;
    -- a statement that touched no counted row (expiry, an alert's update) asks for no refresh at commit
    GET DIAGNOSTICS noted = ROW_COUNT;
    IF noted > 0 THEN
        INSERT INTO tile_cell_pending VALUES (txid_current()) ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END
$f$;

-- At commit, once per transaction: recompute the cells noted dirty, and add the added rows to every other cell.
CREATE OR REPLACE FUNCTION hub_tile_cell_refresh() RETURNS trigger
LANGUAGE plpgsql AS $f$
DECLARE
    k record;
    me bigint := txid_current();
BEGIN
    DELETE FROM tile_cell_pending WHERE txid = me;
    FOR k IN SELECT workspace, layer FROM tile_cell_dirty WHERE txid = me
             UNION SELECT workspace, layer FROM tile_cell_added WHERE txid = me
             ORDER BY workspace, layer LOOP
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
    -- the cells not recomputed: what this transaction's statements added, summed up, added to what the cell holds
    -- (a sum of nothing is null, as in a recomputation)
    EXECUTE $q$
    INSERT INTO tile_cell AS t
    SELECT a.workspace, a.layer, a.classification, a.sources, a.cx, a.cy,
           sum(a.n), max(a.max_severity), max(a.max_observed_at), min(a.name),
           sum(a.evacuees), sum(a.customers_out), sum(a.sx), sum(a.sy)
    FROM tile_cell_added a
    WHERE a.txid = $1
      AND NOT EXISTS (SELECT 1 FROM tile_cell_dirty d
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
        sy = t.sy + EXCLUDED.sy $q$ USING me;
    DELETE FROM tile_cell_dirty WHERE txid = me;
    DELETE FROM tile_cell_added WHERE txid = me;
    RETURN NULL;
END
$f$;
