-- History keeps the raw documents it comes from with a guard instead of a foreign key (issue 16).
--
-- feature_past's key to raw_document was checked once per inserted row: every state a push closes into history
-- (an all-changed re-publication, a withdrawal, a state older than the current one) looked its raw document up and
-- locked it, one check and one queued trigger event per row. Closing 110,000 states into feature_past took 1.45–1.50 s
-- with the key and 1.10 s without it (the same rows and indexes, rolled back after each run).
--
-- The values come from the hub alone (the raw document the ingest stored in its transaction, or the one a current
-- state already pointed at), and raw documents are never deleted (nothing accepted is ever lost): what the key
-- guarded was that a raw document history still refers to is not deleted. That is kept below, for the current states
-- too (feature has had no key since 0050): deleting such a raw document fails as the key failed, 23503, at the end of
-- the statement; truncating raw_document fails while there is any history or current state.

ALTER TABLE feature_past DROP CONSTRAINT feature_version_raw_document_id_fkey;

CREATE FUNCTION hub_raw_document_keep_referenced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    referenced bigint;
BEGIN
    SELECT d.id INTO referenced FROM removed_rows d
    WHERE EXISTS (SELECT 1 FROM feature_past p WHERE p.raw_document_id = d.id)
       OR EXISTS (SELECT 1 FROM feature f WHERE f.raw_document_id = d.id)
    LIMIT 1;
    IF referenced IS NOT NULL THEN
        RAISE EXCEPTION 'raw document % is still referenced by stored features', referenced
            USING ERRCODE = 'foreign_key_violation', TABLE = 'raw_document';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER raw_document_keep_referenced AFTER DELETE ON raw_document
    REFERENCING OLD TABLE AS removed_rows FOR EACH STATEMENT EXECUTE FUNCTION hub_raw_document_keep_referenced();

CREATE FUNCTION hub_raw_document_keep_all() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM feature_past) OR EXISTS (SELECT 1 FROM feature) THEN
        RAISE EXCEPTION 'raw_document cannot be truncated while stored features refer to it'
            USING ERRCODE = 'foreign_key_violation', TABLE = 'raw_document';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER raw_document_keep_all BEFORE TRUNCATE ON raw_document
    FOR EACH STATEMENT EXECUTE FUNCTION hub_raw_document_keep_all();
