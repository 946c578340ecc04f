-- Event streams replay history page by page after a cursor (received_at, id): this index answers each page with a
-- range scan instead of sorting the workspace's whole history once per page.
CREATE INDEX merged_feature_version_replay ON merged_feature_version (workspace, received_at, id);
