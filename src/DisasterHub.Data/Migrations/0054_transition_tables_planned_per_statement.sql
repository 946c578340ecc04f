-- The statement triggers that join a statement's old rows to its new rows (feature_close_versions,
-- merged_feature_close_versions, hub_tile_cell_mark's UPDATE branch) plan that join on every call.
--
-- PL/pgSQL plans a static statement once per connection, the first time it runs, and keeps the plan. A transition
-- table's row estimate is its size at that moment. A pooled connection whose first update touched one row therefore
-- kept a nested loop over the two transition tables. When the same connection later updated a whole national
-- registry, for example 110,000 records that all changed in a push or a replacement, the trigger compared every old
-- row with every new one. Both tables had spilled to disk by then, and the push ran for more than ten minutes
-- instead of seconds. `EXECUTE` plans the statement for the rows this statement actually has.
CREATE OR REPLACE FUNCTION feature_close_versions() RETURNS trigger LANGUAGE plpgsql AS $f$
BEGIN
    EXECUTE $q$
    INSERT INTO feature_past (id, layer, source_id, source_key, workspace, entity_key, municipality_code, name, address, geom,
                              source_crs, status, severity, observed_at, reported_at, received_at, classification, attrs,
                              raw_document_id, content_hash, valid_from, valid_until)
    SELECT o.history_id, o.layer, o.source_id, o.source_key, o.workspace, o.entity_key, o.municipality_code, o.name, o.address,
           o.geom, o.source_crs, o.status, o.severity, o.observed_at, o.reported_at, o.received_at, o.classification, o.attrs,
           o.raw_document_id, o.content_hash, o.valid_from, o.valid_until
    FROM closed_rows o JOIN opened_rows n ON n.id = o.id
    WHERE n.history_id <> o.history_id
    ON CONFLICT DO NOTHING $q$;
    RETURN NULL;
END $f$;

CREATE OR REPLACE FUNCTION merged_feature_close_versions() RETURNS trigger LANGUAGE plpgsql AS $f$
BEGIN
    EXECUTE $q$
    INSERT INTO merged_feature_past (id, workspace, layer, entity_key, merged_id, municipality_code, name, address, geom,
        status, severity, observed_at, received_at, classification, attrs, provenance, conflicts, sources, version,
        valid_from, valid_until)
    SELECT o.history_id, o.workspace, o.layer, o.entity_key, o.id, o.municipality_code, o.name, o.address, o.geom,
        o.status, o.severity, o.observed_at, o.received_at, o.classification, o.attrs, o.provenance, o.conflicts,
        o.sources, o.version, o.valid_from, o.valid_until
    FROM closed_rows o JOIN opened_rows n ON n.id = o.id
    WHERE n.history_id <> o.history_id $q$;
    RETURN NULL;
END $f$;

CREATE OR REPLACE FUNCTION hub_tile_cell_mark() RETURNS trigger
LANGUAGE plpgsql AS $f$
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
