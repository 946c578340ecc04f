-- Issue 16 §5, a full replacement of a source's set: a document pushed with ?replace=true (or pulled from a source
-- marked replaces) is the source's complete set in its workspace, and a current feature of the source whose key it no
-- longer holds is withdrawn (ingest_withdraw.sql). A withdrawn feature leaves `feature`; its last state is closed into
-- feature_past as any replaced state is, and a withdrawal marker (withdrawn = true, received when the replacement was)
-- ends it there, so a read as of a later time no longer shows it while one as of an earlier time still does.
ALTER TABLE feature_past ADD COLUMN withdrawn boolean NOT NULL DEFAULT false;

-- the states of every feature, current and past, with the withdrawal markers (a current state is never one)
CREATE OR REPLACE VIEW feature_version AS
SELECT id, layer, source_id, source_key, workspace, entity_key, municipality_code, name, address, geom, source_crs, status,
       severity, observed_at, reported_at, received_at, classification, attrs, raw_document_id, content_hash, valid_from,
       valid_until, withdrawn
FROM feature_past
UNION ALL
SELECT history_id, layer, source_id, source_key, workspace, entity_key, municipality_code, name, address, geom, source_crs,
       status, severity, observed_at, reported_at, received_at, classification, attrs, raw_document_id, content_hash,
       valid_from, valid_until, false
FROM feature;

-- whether the source's documents are its complete set (a registry re-published whole): a pull then withdraws what a
-- document no longer holds, as a push with ?replace=true does
ALTER TABLE source ADD COLUMN replaces boolean NOT NULL DEFAULT false;

-- A merged row that leaves the layer (its entity's features withdrawn or moved away): its last state is closed and a
-- deletion marks the end, as 0049 did — the marker now received at the ingest's clock (hub.received_at, set by
-- merge_entities.sql for the transaction) where there is one, so reads as of an instant agree with the hub's clock;
-- and it takes a change_seq from the merged layer's sequence, so the event stream (events.sql) announces the deletion
-- in order with the changes (a map removes what a replacement withdrew without waiting for another change).
ALTER TABLE merged_feature_past ADD COLUMN change_seq bigint;
CREATE INDEX merged_feature_past_deleted_seq ON merged_feature_past (change_seq) WHERE change_seq IS NOT NULL;

-- the newest change or deletion of the merged layers: where an event stream or a new subscription starts
CREATE FUNCTION hub_last_change_seq() RETURNS bigint LANGUAGE sql STABLE AS $$
    SELECT greatest((SELECT coalesce(max(change_seq), 0) FROM merged_feature),
                    (SELECT coalesce(max(change_seq), 0) FROM merged_feature_past WHERE change_seq IS NOT NULL))
$$;

CREATE OR REPLACE FUNCTION merged_feature_close_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    at timestamptz := coalesce(nullif(current_setting('hub.received_at', true), '')::timestamptz, now());
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
        valid_from, valid_until, change_seq)
    SELECT o.workspace, o.layer, o.entity_key, o.id, o.municipality_code, o.name, o.address, o.geom, o.status,
        o.severity, o.observed_at, greatest(o.received_at, at), o.classification, o.attrs, o.provenance, o.conflicts,
        o.sources, o.version + 1, true, o.valid_from, o.valid_until, nextval('merged_change_seq')
    FROM closed_rows o;
    RETURN NULL;
END $$;
