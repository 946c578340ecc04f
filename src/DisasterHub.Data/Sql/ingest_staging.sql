CREATE TEMP TABLE staging (
    layer             text NOT NULL,
    source_key        text NOT NULL,
    entity_key        text,
    name_key          text,
    municipality_code text,
    name              text,
    address           text,
    wkb               bytea NOT NULL,
    source_crs        text NOT NULL,
    status            text,
    severity          smallint,
    observed_at       timestamptz NOT NULL,
    reported_at       timestamptz,
    classification    text NOT NULL,
    attrs             jsonb NOT NULL,
    content_hash      bytea NOT NULL,
    valid_from        timestamptz,
    valid_until       timestamptz,
    spatial_key       integer NOT NULL -- the order of a first load's rows (IngestStore.SpatialKey)
) ON COMMIT DROP;

