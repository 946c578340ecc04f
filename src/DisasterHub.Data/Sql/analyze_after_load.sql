-- After a load that changed a large share of the feature tables (a fresh database's first load, a national registry):
-- their statistics are brought up to date at once, before autovacuum's next round (up to a minute later), so the next
-- push — typically the same registry re-pulled — and the reads are planned on what the tables now hold. Run after
-- the ingest commits, on its own: ANALYZE inside the ingest would hold its lock until commit. @changed = rows changed.
SELECT (c.reltuples < 0 OR @changed > 0.2 * c.reltuples) AS stale FROM pg_class c WHERE c.oid = 'feature'::regclass;
