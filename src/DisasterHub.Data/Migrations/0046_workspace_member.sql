-- Who may open a drill (issue 14 §6.4): the organizations taking part. A drill with no member rows is open, as every
-- drill was before (the simulator's sim-drill, drills made without --org); one with members is opened only by callers
-- of those organizations and by admins. Live never has members.
CREATE TABLE workspace_member (
    workspace       text NOT NULL REFERENCES workspace (name) ON DELETE CASCADE,
    organization_id text NOT NULL REFERENCES organization (id) ON DELETE CASCADE,
    added_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace, organization_id)
);
