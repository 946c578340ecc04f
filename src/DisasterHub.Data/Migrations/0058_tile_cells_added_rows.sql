-- A cell whose rows a transaction only added, or changed in ways the cell can absorb, is brought up to date by adding
-- those rows' aggregates (or their differences) to it, instead of being recomputed from every row it holds (0016).
--
-- Before, each commit recomputed every cell a written row fell in from all of merged_feature's rows in it. A national
-- first load of the second and third 110,000-row source into the same layer committed in ~1.0 and ~1.6 s against
-- ~0.4 s for the first (those cells already held the earlier sources' rows), a 1,000,000-row first load in ~5 s, and
-- a re-publication of a national registry with every row changed in ~1.6 s, its withdrawal in ~0.8–1.2 s.
-- - An added row: the count and the sums add up, the highest severity and the newest observation are the greater of
--   the two, the name (the cell's least) the lesser.
-- - A changed row that stays in its cell under the same classification and sources, keeps its name, and whose
--   severity and observation time did not go down: the count stays, the sums take the difference, the greatest values
--   take the new ones. Each counted sum must be present in both states or in neither, because a cell's sum of nothing
--   is null, which adding cannot tell. Deciding this costs the trigger ~0.35 s more per 110,000 changed rows than
--   noting their cells did (0.58 against 0.22 s); the commit of a third national source's all-changed re-publication
--   saves ~1.6 s.
-- - Removed rows: a group (classification, sources) of a cell whose every row was removed leaves the cell, when its
--   committed count equals the rows removed and nothing else in that cell changed in the transaction (a whole source
--   withdrawn from a layer it shares with others: the other groups stay as they are).
-- - Any other change (a row moved to another cell, renamed, lowered, from one source set to another, some of a group's
--   rows removed) cannot be handled that way, since the greatest value of what is left is not known. Those cells are
--   noted in tile_cell_dirty and recomputed as before. A cell noted there is recomputed, and the rows this transaction
--   added to it are counted by the recomputation, not added again.
-- Concurrent writers keep the order of 0016: the refresh takes the (workspace, layer) locks first and then reads or
-- updates each cell as committed by whoever held the lock before, so adding to it is as exact as recomputing it (the
-- tests compare the cells with a recomputation from scratch, with two organizations pushing into the same cells at once).
-- What a transaction's statements added to cells: tile_cell's columns, per transaction.
CREATE UNLOGGED TABLE tile_cell_added (txid bigint NOT NULL, LIKE tile_cell);
CREATE INDEX tile_cell_added_txid ON tile_cell_added (txid);

-- Rows a transaction removed, counted per cell and group (classification, sources).
CREATE UNLOGGED TABLE tile_cell_removed AS
SELECT NULL::bigint AS txid, workspace, layer, classification, sources, cx, cy, n FROM tile_cell WITH NO DATA;
CREATE INDEX tile_cell_removed_txid ON tile_cell_removed (txid);

-- A statement's added rows, and changed rows that only grew: their aggregates per cell (planned for this statement's
-- rows: see migration 0054).
CREATE OR REPLACE FUNCTION hub_tile_cell_mark() RETURNS trigger
LANGUAGE plpgsql AS $f$
DECLARE
    noted bigint := 0;
    grown bigint := 0;
    grows text;
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
        GET DIAGNOSTICS noted = ROW_COUNT;
    ELSIF TG_OP = 'DELETE' THEN
        -- counted per group: a group left with none of its rows is dropped from its cell at commit, any other recomputed
        EXECUTE $q$
        INSERT INTO tile_cell_removed
        SELECT txid_current(), o.workspace, o.layer, o.classification, o.sources,
               hub_tile_cell_x(o.tile_pt), hub_tile_cell_y(o.tile_pt), count(*)
        FROM old_rows o WHERE o.valid_until IS NULL
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
            FROM old_rows o JOIN new_rows n ON n.id = o.id
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
                  FROM old_rows o JOIN new_rows n ON n.id = o.id
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

-- At commit, once per transaction: drop the groups left empty, recompute the cells noted dirty, and add the added rows to
-- every other cell.
CREATE OR REPLACE FUNCTION hub_tile_cell_refresh() RETURNS trigger
LANGUAGE plpgsql AS $f$
DECLARE
    k record;
    me bigint := txid_current();
BEGIN
    DELETE FROM tile_cell_pending WHERE txid = me;
    FOR k IN SELECT workspace, layer FROM tile_cell_dirty WHERE txid = me
             UNION SELECT workspace, layer FROM tile_cell_added WHERE txid = me
             UNION SELECT workspace, layer FROM tile_cell_removed WHERE txid = me
             ORDER BY workspace, layer LOOP
        PERFORM pg_advisory_xact_lock(hashtextextended('tile_cell:' || k.workspace || ':' || k.layer, 0));
    END LOOP;
    -- every statement from here reads a fresh snapshot: what another transaction holding the lock committed is seen
    -- Removed rows: a group whose every row this transaction removed (its committed count, exactly) leaves its cell,
    -- when nothing else in the cell changed in this transaction; every other cell they were in is recomputed.
    EXECUTE $q$
    WITH r AS (
        SELECT workspace, layer, classification, sources, cx, cy, sum(n) AS n
        FROM tile_cell_removed WHERE txid = $1
        GROUP BY workspace, layer, classification, sources, cx, cy
    ), mixed AS (
        SELECT DISTINCT r.workspace, r.layer, r.cx, r.cy
        FROM r LEFT JOIN tile_cell t
          ON (t.workspace, t.layer, t.cx, t.cy, t.classification, t.sources) = (r.workspace, r.layer, r.cx, r.cy, r.classification, r.sources)
        WHERE t.n IS DISTINCT FROM r.n
           OR EXISTS (SELECT 1 FROM tile_cell_added a
                      WHERE a.txid = $1 AND (a.workspace, a.layer, a.cx, a.cy) = (r.workspace, r.layer, r.cx, r.cy))
           OR EXISTS (SELECT 1 FROM tile_cell_dirty d
                      WHERE d.txid = $1 AND (d.workspace, d.layer, d.cx, d.cy) = (r.workspace, r.layer, r.cx, r.cy))
    ), noted AS (
        INSERT INTO tile_cell_dirty SELECT $1, workspace, layer, cx, cy FROM mixed
    )
    DELETE FROM tile_cell t USING r
    WHERE (t.workspace, t.layer, t.cx, t.cy, t.classification, t.sources) = (r.workspace, r.layer, r.cx, r.cy, r.classification, r.sources)
      AND NOT EXISTS (SELECT 1 FROM mixed m WHERE (m.workspace, m.layer, m.cx, m.cy) = (r.workspace, r.layer, r.cx, r.cy)) $q$
    USING me;
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
    DELETE FROM tile_cell_removed WHERE txid = me;
    RETURN NULL;
END
$f$;
