-- Which boundary file is loaded (by content hash), so start-up loads the shipped boundaries once and again only when
-- the file changed; and a version the record checks compare to reload their in-memory copy.
CREATE TABLE boundary_load (
    source         text PRIMARY KEY,
    sha256         bytea NOT NULL,
    municipalities integer NOT NULL,
    loaded_at      timestamptz NOT NULL
);
