-- A follower's position in what its source publishes (issue 15 item 6, federation: the other hub's change sequence),
-- moved only after what it covers is ingested, so a restart or a failover neither skips nor repeats it.
ALTER TABLE source ADD COLUMN cursor text, ADD COLUMN cursor_at timestamptz;
