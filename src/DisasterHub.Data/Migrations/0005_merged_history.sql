-- History of the merged layers, for as-of reads (datetime= / at=): every state a merged row had, from when the
-- hub received what made it so (valid_from = the merged row's received_at) until the next state.
CREATE TABLE merged_feature_version (
    id                bigserial PRIMARY KEY,
    workspace         text NOT NULL,
    layer             text NOT NULL,
    entity_key        text NOT NULL,
    merged_id         uuid NOT NULL,
    municipality_code text,
    name              text,
    address           text,
    geom              geometry(Geometry, 4326) NOT NULL,
    status            text,
    severity          smallint,
    observed_at       timestamptz NOT NULL,
    received_at       timestamptz NOT NULL,
    classification    text NOT NULL,
    attrs             jsonb NOT NULL,
    provenance        jsonb NOT NULL,
    conflicts         jsonb NOT NULL,
    sources           text[] NOT NULL,
    version           integer NOT NULL,
    deleted           boolean NOT NULL DEFAULT false
);
CREATE INDEX merged_feature_version_asof ON merged_feature_version (workspace, layer, entity_key, received_at DESC, id DESC);

CREATE FUNCTION merged_feature_history() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO merged_feature_version (workspace, layer, entity_key, merged_id, municipality_code, name, address, geom, status,
            severity, observed_at, received_at, classification, attrs, provenance, conflicts, sources, version, deleted)
        VALUES (OLD.workspace, OLD.layer, OLD.entity_key, OLD.id, OLD.municipality_code, OLD.name, OLD.address, OLD.geom, OLD.status,
            OLD.severity, OLD.observed_at, greatest(OLD.received_at, now()), OLD.classification, OLD.attrs, OLD.provenance, OLD.conflicts,
            OLD.sources, OLD.version + 1, true);
        RETURN OLD;
    END IF;
    INSERT INTO merged_feature_version (workspace, layer, entity_key, merged_id, municipality_code, name, address, geom, status,
        severity, observed_at, received_at, classification, attrs, provenance, conflicts, sources, version)
    VALUES (NEW.workspace, NEW.layer, NEW.entity_key, NEW.id, NEW.municipality_code, NEW.name, NEW.address, NEW.geom, NEW.status,
        NEW.severity, NEW.observed_at, NEW.received_at, NEW.classification, NEW.attrs, NEW.provenance, NEW.conflicts, NEW.sources, NEW.version);
    RETURN NEW;
END $$;

CREATE TRIGGER merged_feature_history AFTER INSERT OR UPDATE OR DELETE ON merged_feature
FOR EACH ROW EXECUTE FUNCTION merged_feature_history();
