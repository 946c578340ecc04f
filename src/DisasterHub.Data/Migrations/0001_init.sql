-- DisasterHub schema, version 1: the EEI feature store and the registry around it (DESIGN §2).
CREATE EXTENSION IF NOT EXISTS postgis;

CREATE TABLE organization (
    id                 text PRIMARY KEY,
    name               text NOT NULL,
    kind               text NOT NULL CHECK (kind IN ('national', 'prefecture', 'municipality', 'public_institution', 'app_developer', 'operator')),
    jurisdiction_codes text[] NOT NULL DEFAULT '{}',
    service_area       geometry(MultiPolygon, 4326),
    created_at         timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_key (
    id              text PRIMARY KEY,
    organization_id text NOT NULL REFERENCES organization (id),
    label           text,
    secret_sha256   bytea NOT NULL,
    scopes          text[] NOT NULL DEFAULT '{}',
    created_at      timestamptz NOT NULL DEFAULT now(),
    revoked_at      timestamptz
);

CREATE TABLE source (
    id                        text PRIMARY KEY,
    name                      text NOT NULL,
    kind                      text NOT NULL CHECK (kind IN ('pull', 'push')),
    format                    text NOT NULL,
    layer                     text NOT NULL,
    url                       text,
    schedule_seconds          integer,
    expected_interval_seconds integer NOT NULL DEFAULT 3600,
    priority                  integer NOT NULL DEFAULT 100,
    owner_org_id              text REFERENCES organization (id),
    internal                  boolean NOT NULL DEFAULT false,
    enabled                   boolean NOT NULL DEFAULT true,
    last_attempt_at           timestamptz,
    last_success_at           timestamptz,
    last_error_at             timestamptz,
    last_error                text,
    last_etag                 text,
    last_modified             text,
    last_raw_sha256           bytea,
    watermark                 timestamptz,
    created_at                timestamptz NOT NULL DEFAULT now()
);

-- Every fetched or pushed payload, stored before it is parsed so a parser fix can replay it.
CREATE TABLE raw_document (
    id            bigserial PRIMARY KEY,
    source_id     text NOT NULL REFERENCES source (id),
    workspace     text NOT NULL DEFAULT 'live',
    received_at   timestamptz NOT NULL,
    content_type  text,
    format        text,
    sha256        bytea NOT NULL,
    size_bytes    integer NOT NULL,
    body          bytea NOT NULL,
    status        text NOT NULL DEFAULT 'received' CHECK (status IN ('received', 'parsed', 'unparseable')),
    accepted      integer NOT NULL DEFAULT 0,
    rejected      integer NOT NULL DEFAULT 0,
    api_key_id    text,
    fetch_url     text
);
CREATE INDEX raw_document_source_sha ON raw_document (source_id, sha256);

CREATE TABLE rejection (
    id              bigserial PRIMARY KEY,
    raw_document_id bigint NOT NULL REFERENCES raw_document (id) ON DELETE CASCADE,
    at              text NOT NULL,
    reason          text NOT NULL
);
CREATE INDEX rejection_raw ON rejection (raw_document_id);

-- Current state: one row per (workspace, source_id, source_key).
CREATE TABLE feature (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    layer             text NOT NULL,
    source_id         text NOT NULL REFERENCES source (id),
    source_key        text NOT NULL,
    workspace         text NOT NULL DEFAULT 'live',
    entity_key        text,
    municipality_code text CHECK (municipality_code ~ '^[0-9]{6}$'),
    name              text,
    address           text,
    geom              geometry(Geometry, 4326) NOT NULL,
    source_crs        text NOT NULL DEFAULT 'EPSG:4326',
    status            text,
    severity          smallint CHECK (severity BETWEEN 0 AND 3),
    observed_at       timestamptz NOT NULL,
    reported_at       timestamptz,
    received_at       timestamptz NOT NULL,
    stale_after       timestamptz,
    classification    text NOT NULL DEFAULT 'public' CHECK (classification IN ('public', 'responders', 'restricted')),
    attrs             jsonb NOT NULL DEFAULT '{}',
    raw_document_id   bigint REFERENCES raw_document (id),
    content_hash      bytea NOT NULL,
    version           integer NOT NULL DEFAULT 1,
    UNIQUE (workspace, source_id, source_key)
);
CREATE INDEX feature_geom ON feature USING gist (geom);
CREATE INDEX feature_layer ON feature (workspace, layer);
CREATE INDEX feature_entity ON feature (layer, entity_key);

-- Append-only history of every accepted distinct state (as-of reads, replay, ETA history).
CREATE TABLE feature_version (
    id                bigserial PRIMARY KEY,
    layer             text NOT NULL,
    source_id         text NOT NULL,
    source_key        text NOT NULL,
    workspace         text NOT NULL,
    entity_key        text,
    municipality_code text,
    name              text,
    address           text,
    geom              geometry(Geometry, 4326) NOT NULL,
    source_crs        text NOT NULL,
    status            text,
    severity          smallint,
    observed_at       timestamptz NOT NULL,
    reported_at       timestamptz,
    received_at       timestamptz NOT NULL,
    classification    text NOT NULL,
    attrs             jsonb NOT NULL,
    raw_document_id   bigint REFERENCES raw_document (id),
    content_hash      bytea NOT NULL,
    UNIQUE (workspace, source_id, source_key, observed_at, content_hash)
);
CREATE INDEX feature_version_key ON feature_version (workspace, source_id, source_key, observed_at);

CREATE TABLE audit (
    id             bigserial PRIMARY KEY,
    at             timestamptz NOT NULL,
    organization_id text,
    api_key_id     text,
    action         text NOT NULL,
    target         text,
    client_address text,
    detail         jsonb NOT NULL DEFAULT '{}'
);

-- Idempotency-Key answers, per key, so a retried push gets the same answer and stores nothing twice.
CREATE TABLE idempotency (
    api_key_id     text NOT NULL,
    key            text NOT NULL,
    request_sha256 bytea NOT NULL,
    status_code    integer NOT NULL,
    response_body  text NOT NULL,
    created_at     timestamptz NOT NULL,
    PRIMARY KEY (api_key_id, key)
);
