-- Workspaces an officer can look at: live first, then drills, newest first.
SELECT name, kind, created_at
FROM workspace
ORDER BY kind = 'live' DESC, created_at DESC, name;
