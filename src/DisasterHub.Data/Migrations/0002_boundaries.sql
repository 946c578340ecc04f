-- Municipal boundaries imported by `./hub import boundaries FILE` (N03 GeoJSON or TopoJSON): records located only
-- by a municipality code take this geometry; the roll-up layer draws it.
CREATE TABLE municipality_boundary (
    code        text PRIMARY KEY CHECK (code ~ '^[0-9]{6}$'),
    prefecture  text,
    name        text,
    geom        geometry(MultiPolygon, 4326) NOT NULL,
    point       geometry(Point, 4326) NOT NULL,
    source      text,
    imported_at timestamptz NOT NULL
);
CREATE INDEX municipality_boundary_geom ON municipality_boundary USING gist (geom);
