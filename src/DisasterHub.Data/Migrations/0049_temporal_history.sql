-- One write for current state and history (issue 16 §3). Every state a feature or a merged row has had is one row of
-- one temporal relation, kept in two tables by whether it is still current:
--   feature          current states (the open versions), with the indexes every read path uses;
--   feature_past     every other state: the superseded ones, and out-of-order ones that never became current.
-- feature_version (the view below) is their union, with exactly the rows and ids the history table held before, so
-- as-of reads, replay and ETA histories read it as they did. A new record is now one insert (it was an insert into
-- feature and a copy into feature_version); a changed record is one update of the current row plus one insert of the
-- state it closes (the trigger below) — PostgreSQL's "range close" of a temporal row is itself a new tuple, so this is
-- the same work as closing a validity range, without a partial index over every past version.
-- A version's id (history_id on the current row) is taken when the state is written, so ids and their order are those
-- the history table assigned before. A writer that opens a new version gives the row a new history_id; the trigger
-- closes the old state only then (re-keying an entity, for one, is not a new version).
-- merged_feature / merged_feature_past / merged_feature_version: the same for the merged layers, whose history trigger
-- (0007, 0013) wrote every new merged state twice.

-- ---------------------------------------------------------------- per-source features
ALTER TABLE feature_version RENAME TO feature_past;
ALTER SEQUENCE feature_version_id_seq RENAME TO feature_history_id_seq;
ALTER INDEX feature_version_pkey RENAME TO feature_past_pkey;
ALTER INDEX feature_version_asof RENAME TO feature_past_asof;
ALTER INDEX feature_version_workspace_source_id_source_key_observed_at__key RENAME TO feature_past_state;

ALTER TABLE feature ADD COLUMN history_id bigint;
-- each current state takes the id its copy in the history had, and the copy leaves it
UPDATE feature f SET history_id = p.id
FROM feature_past p
WHERE p.workspace = f.workspace AND p.source_id = f.source_id AND p.source_key = f.source_key
  AND p.observed_at = f.observed_at AND p.content_hash = f.content_hash;
DELETE FROM feature_past p USING feature f WHERE p.id = f.history_id;
UPDATE feature SET history_id = nextval('feature_history_id_seq') WHERE history_id IS NULL;
ALTER TABLE feature ALTER COLUMN history_id SET DEFAULT nextval('feature_history_id_seq'),
                    ALTER COLUMN history_id SET NOT NULL;

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

-- A current state that a new version replaces is closed: it moves to feature_past under its id.
CREATE FUNCTION feature_close_versions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO feature_past (id, layer, source_id, source_key, workspace, entity_key, municipality_code, name, address, geom,
                              source_crs, status, severity, observed_at, reported_at, received_at, classification, attrs,
                              raw_document_id, content_hash, valid_from, valid_until)
    SELECT o.history_id, o.layer, o.source_id, o.source_key, o.workspace, o.entity_key, o.municipality_code, o.name, o.address,
           o.geom, o.source_crs, o.status, o.severity, o.observed_at, o.reported_at, o.received_at, o.classification, o.attrs,
           o.raw_document_id, o.content_hash, o.valid_from, o.valid_until
    FROM closed_rows o JOIN opened_rows n ON n.id = o.id
    WHERE n.history_id <> o.history_id
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;

CREATE TRIGGER feature_close_versions AFTER UPDATE ON feature
REFERENCING OLD TABLE AS closed_rows NEW TABLE AS opened_rows FOR EACH STATEMENT EXECUTE FUNCTION feature_close_versions();

-- ---------------------------------------------------------------- merged layers
DROP TRIGGER merged_feature_history_insert ON merged_feature;
DROP TRIGGER merged_feature_history_update ON merged_feature;
DROP TRIGGER merged_feature_history_delete ON merged_feature;
DROP FUNCTION merged_feature_history_upsert();
DROP FUNCTION merged_feature_history_delete();

ALTER TABLE merged_feature_version RENAME TO merged_feature_past;
ALTER SEQUENCE merged_feature_version_id_seq RENAME TO merged_feature_history_id_seq;
ALTER INDEX merged_feature_version_pkey RENAME TO merged_feature_past_pkey;
ALTER INDEX merged_feature_version_asof RENAME TO merged_feature_past_asof;
ALTER INDEX merged_feature_version_replay RENAME TO merged_feature_past_replay;

ALTER TABLE merged_feature ADD COLUMN history_id bigint;
-- the newest history row of a merged row is its current state (the old trigger copied every new state)
UPDATE merged_feature m SET history_id = p.id
FROM (SELECT DISTINCT ON (merged_id) merged_id, id FROM merged_feature_past WHERE NOT deleted ORDER BY merged_id, id DESC) p
WHERE p.merged_id = m.id;
DELETE FROM merged_feature_past p USING merged_feature m WHERE p.id = m.history_id;
UPDATE merged_feature SET history_id = nextval('merged_feature_history_id_seq') WHERE history_id IS NULL;
ALTER TABLE merged_feature ALTER COLUMN history_id SET DEFAULT nextval('merged_feature_history_id_seq'),
                           ALTER COLUMN history_id SET NOT NULL;
-- the event history pages through (workspace, received_at, id) on both tables
CREATE INDEX merged_feature_history ON merged_feature (workspace, received_at, history_id);

CREATE VIEW merged_feature_version AS
SELECT id, workspace, layer, entity_key, merged_id, municipality_code, name, address, geom, status, severity, observed_at,
       received_at, classification, attrs, provenance, conflicts, sources, version, deleted, valid_from, valid_until
FROM merged_feature_past
UNION ALL
SELECT history_id, workspace, layer, entity_key, id, municipality_code, name, address, geom, status, severity, observed_at,
       received_at, classification, attrs, provenance, conflicts, sources, version, false, valid_from, valid_until
FROM merged_feature;

-- A merged state that a new one replaces (merge_entities, expire_lapsed: each gives the row a new history_id) is
-- closed into merged_feature_past under its id.
CREATE FUNCTION merged_feature_close_versions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO merged_feature_past (id, workspace, layer, entity_key, merged_id, municipality_code, name, address, geom,
        status, severity, observed_at, received_at, classification, attrs, provenance, conflicts, sources, version,
        valid_from, valid_until)
    SELECT o.history_id, o.workspace, o.layer, o.entity_key, o.id, o.municipality_code, o.name, o.address, o.geom,
        o.status, o.severity, o.observed_at, o.received_at, o.classification, o.attrs, o.provenance, o.conflicts,
        o.sources, o.version, o.valid_from, o.valid_until
    FROM closed_rows o JOIN opened_rows n ON n.id = o.id
    WHERE n.history_id <> o.history_id;
    RETURN NULL;
END $$;

-- A merged row that leaves the layer: its last state is closed, and a deletion marks the end (as 0007 did).
CREATE FUNCTION merged_feature_close_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO merged_feature_past (id, workspace, layer, entity_key, merged_id, municipality_code, name, address, geom,
        status, severity, observed_at, received_at, classification, attrs, provenance, conflicts, sources, version,
        deleted, valid_from, valid_until)
    SELECT o.history_id, o.workspace, o.layer, o.entity_key, o.id, o.municipality_code, o.name, o.address, o.geom,
        o.status, o.severity, o.observed_at, o.received_at, o.classification, o.attrs, o.provenance, o.conflicts,
        o.sources, o.version, false, o.valid_from, o.valid_until
    FROM closed_rows o;
    INSERT INTO merged_feature_past (workspace, layer, entity_key, merged_id, municipality_code, name, address, geom, status,
        severity, observed_at, received_at, classification, attrs, provenance, conflicts, sources, version, deleted,
        valid_from, valid_until)
    SELECT o.workspace, o.layer, o.entity_key, o.id, o.municipality_code, o.name, o.address, o.geom, o.status,
        o.severity, o.observed_at, greatest(o.received_at, now()), o.classification, o.attrs, o.provenance, o.conflicts,
        o.sources, o.version + 1, true, o.valid_from, o.valid_until
    FROM closed_rows o;
    RETURN NULL;
END $$;

CREATE TRIGGER merged_feature_close_versions AFTER UPDATE ON merged_feature
REFERENCING OLD TABLE AS closed_rows NEW TABLE AS opened_rows FOR EACH STATEMENT EXECUTE FUNCTION merged_feature_close_versions();
CREATE TRIGGER merged_feature_close_deleted AFTER DELETE ON merged_feature
REFERENCING OLD TABLE AS closed_rows FOR EACH STATEMENT EXECUTE FUNCTION merged_feature_close_deleted();
