-- A live picture officers can trust (issue 11 §1, §2): validity windows on every record, the merged row's lapse
-- announced once, and the drill workspace a source's exercise documents go to.
ALTER TABLE source ADD COLUMN exercise_workspace text;

ALTER TABLE feature ADD COLUMN valid_from timestamptz, ADD COLUMN valid_until timestamptz;
ALTER TABLE feature_version ADD COLUMN valid_from timestamptz, ADD COLUMN valid_until timestamptz;
ALTER TABLE merged_feature_version ADD COLUMN valid_from timestamptz, ADD COLUMN valid_until timestamptz;
-- expired_seq: the change_seq at which ExpiryService announced the lapse (an `expired` event); null until then, and
-- again when a new valid_until arrives.
ALTER TABLE merged_feature ADD COLUMN valid_from timestamptz, ADD COLUMN valid_until timestamptz, ADD COLUMN expired_seq bigint;
CREATE INDEX merged_feature_lapse ON merged_feature (valid_until) WHERE valid_until IS NOT NULL AND expired_seq IS NULL;

-- The history triggers of 0007, now carrying the validity window (as-of reads show a row while it was valid).
CREATE OR REPLACE FUNCTION merged_feature_history_upsert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO merged_feature_version (workspace, layer, entity_key, merged_id, municipality_code, name, address, geom, status,
        severity, observed_at, received_at, classification, attrs, provenance, conflicts, sources, version, valid_from, valid_until)
    SELECT n.workspace, n.layer, n.entity_key, n.id, n.municipality_code, n.name, n.address, n.geom, n.status,
        n.severity, n.observed_at, n.received_at, n.classification, n.attrs, n.provenance, n.conflicts, n.sources, n.version,
        n.valid_from, n.valid_until
    FROM changed_rows n ORDER BY n.change_seq;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION merged_feature_history_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO merged_feature_version (workspace, layer, entity_key, merged_id, municipality_code, name, address, geom, status,
        severity, observed_at, received_at, classification, attrs, provenance, conflicts, sources, version, deleted, valid_from, valid_until)
    SELECT o.workspace, o.layer, o.entity_key, o.id, o.municipality_code, o.name, o.address, o.geom, o.status,
        o.severity, o.observed_at, greatest(o.received_at, now()), o.classification, o.attrs, o.provenance, o.conflicts,
        o.sources, o.version + 1, true, o.valid_from, o.valid_until
    FROM changed_rows o;
    RETURN NULL;
END $$;
