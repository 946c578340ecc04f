-- Merged layers (issue: one picture from every source). merged_feature is maintained inside the ingest
-- transaction; change_seq orders changes for the event stream and tile-cache invalidation across nodes.
ALTER TABLE feature ADD COLUMN name_key text;
ALTER TABLE feature ADD COLUMN geom_3857 geometry GENERATED ALWAYS AS (ST_Transform(geom, 3857)) STORED;
CREATE INDEX feature_geom_3857 ON feature USING gist (geom_3857);
CREATE INDEX feature_name_key ON feature (layer, name_key);
CREATE INDEX feature_version_asof ON feature_version (workspace, layer, received_at);

CREATE SEQUENCE merged_change_seq;

CREATE TABLE merged_feature (
    id                uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE,
    workspace         text NOT NULL,
    layer             text NOT NULL,
    entity_key        text NOT NULL,
    municipality_code text,
    name              text,
    address           text,
    geom              geometry(Geometry, 4326) NOT NULL,
    geom_3857         geometry GENERATED ALWAYS AS (ST_Transform(geom, 3857)) STORED,
    status            text,
    severity          smallint,
    observed_at       timestamptz NOT NULL,
    received_at       timestamptz NOT NULL,
    classification    text NOT NULL,
    attrs             jsonb NOT NULL,
    provenance        jsonb NOT NULL,
    conflicts         jsonb NOT NULL DEFAULT '[]',
    sources           text[] NOT NULL,
    content_hash      text NOT NULL,
    version           integer NOT NULL DEFAULT 1,
    change_seq        bigint NOT NULL DEFAULT nextval('merged_change_seq'),
    PRIMARY KEY (workspace, layer, entity_key)
);
CREATE INDEX merged_feature_geom ON merged_feature USING gist (geom);
CREATE INDEX merged_feature_geom_3857 ON merged_feature USING gist (geom_3857);
CREATE INDEX merged_feature_seq ON merged_feature (change_seq);
CREATE INDEX merged_feature_muni ON merged_feature (workspace, municipality_code);

-- Representative points of municipalities (from geodata/municipality-points.tsv, loaded at start-up) for the
-- roll-up layer when no boundaries are imported.
CREATE TABLE municipality_point (
    code       text PRIMARY KEY,
    prefecture text,
    name       text,
    point      geometry(Point, 4326) NOT NULL
);
