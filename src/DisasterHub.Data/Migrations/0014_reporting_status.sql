-- Who has not reported (issue 11 item 7): the municipality list knows each code's kind and, for a designated
-- city's ward, the city it belongs to (reports by ward count for the city); and the 災害対策本部 status of each
-- municipality, with its history, from the municipality's own entry or an operator's.
ALTER TABLE municipality_point ADD COLUMN kind text, ADD COLUMN parent text;
ALTER TABLE municipality_point ALTER COLUMN point DROP NOT NULL;
CREATE INDEX municipality_point_parent ON municipality_point (parent) WHERE parent IS NOT NULL;

CREATE TABLE municipality_hq (
    id              bigserial PRIMARY KEY,
    workspace       text NOT NULL DEFAULT 'live',
    code            text NOT NULL CHECK (code ~ '^[0-9]{6}$'),
    status          text NOT NULL CHECK (status IN ('設置', '未設置', '解散')),
    at              timestamptz NOT NULL,
    recorded_at     timestamptz NOT NULL,
    organization_id text,
    api_key_id      text
);
-- the current status is the entry with the latest `at` (then the latest recorded) per workspace and code
CREATE INDEX municipality_hq_current ON municipality_hq (workspace, code, at DESC, id DESC);
