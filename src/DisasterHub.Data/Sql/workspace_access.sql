-- A workspace's kind and its member organizations (empty: open to every caller); no row when there is no such workspace.
SELECT w.kind,
       coalesce((SELECT array_agg(m.organization_id) FROM workspace_member m WHERE m.workspace = w.name), '{}') AS members
FROM workspace w
WHERE w.name = @n;
