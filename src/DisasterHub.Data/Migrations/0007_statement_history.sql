-- merged_feature history, written once per statement from the transition tables instead of once per row: a bulk
-- push that changes 100,000 merged features ran 100,000 PL/pgSQL calls and single-row INSERTs (about a third of
-- the merge step). Same rows, same columns as 0005.
DROP TRIGGER merged_feature_history ON merged_feature;
DROP FUNCTION merged_feature_history();

CREATE FUNCTION merged_feature_history_upsert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO merged_feature_version (workspace, layer, entity_key, merged_id, municipality_code, name, address, geom, status,
        severity, observed_at, received_at, classification, attrs, provenance, conflicts, sources, version)
    SELECT n.workspace, n.layer, n.entity_key, n.id, n.municipality_code, n.name, n.address, n.geom, n.status,
        n.severity, n.observed_at, n.received_at, n.classification, n.attrs, n.provenance, n.conflicts, n.sources, n.version
    FROM changed_rows n ORDER BY n.change_seq;
    RETURN NULL;
END $$;

CREATE FUNCTION merged_feature_history_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO merged_feature_version (workspace, layer, entity_key, merged_id, municipality_code, name, address, geom, status,
        severity, observed_at, received_at, classification, attrs, provenance, conflicts, sources, version, deleted)
    SELECT o.workspace, o.layer, o.entity_key, o.id, o.municipality_code, o.name, o.address, o.geom, o.status,
        o.severity, o.observed_at, greatest(o.received_at, now()), o.classification, o.attrs, o.provenance, o.conflicts,
        o.sources, o.version + 1, true
    FROM changed_rows o;
    RETURN NULL;
END $$;

CREATE TRIGGER merged_feature_history_insert AFTER INSERT ON merged_feature
REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION merged_feature_history_upsert();
CREATE TRIGGER merged_feature_history_update AFTER UPDATE ON merged_feature
REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION merged_feature_history_upsert();
CREATE TRIGGER merged_feature_history_delete AFTER DELETE ON merged_feature
REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION merged_feature_history_delete();
