-- Workspaces an officer can look at: live first, then drills, newest first; each with its member organizations
-- (empty: an open drill).
SELECT w.name, w.kind, w.created_at,
       coalesce((SELECT array_agg(m.organization_id ORDER BY m.organization_id) FROM workspace_member m WHERE m.workspace = w.name), '{}') AS members
FROM workspace w
ORDER BY w.kind = 'live' DESC, w.created_at DESC, w.name;
