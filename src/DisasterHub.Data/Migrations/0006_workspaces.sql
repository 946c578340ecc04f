-- Workspaces: 'live' and drills (訓練). Every feature, version, merged row and raw document carries its workspace;
-- a drill never writes to live and readers name the workspace they want.
CREATE TABLE workspace (
    name       text PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
    kind       text NOT NULL CHECK (kind IN ('live', 'drill')),
    created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO workspace (name, kind) VALUES ('live', 'live');
