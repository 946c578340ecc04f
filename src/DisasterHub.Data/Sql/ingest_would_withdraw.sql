-- A full replacement's preview (?dry_run=true&replace=true; the withdrawal itself: ingest_withdraw.sql): the source's
-- current features in the workspace whose keys the document (@keys) no longer holds, the first @listed of them by key,
-- each row with the total. With none to withdraw, one row of nulls and 0.
WITH gone AS (
    SELECT f.source_key, f.name
    FROM feature f
    WHERE f.workspace = @workspace AND f.source_id = @source_id
      AND NOT EXISTS (SELECT 1 FROM unnest(@keys::text[]) k(source_key) WHERE k.source_key = f.source_key)
),
n AS (SELECT count(*) AS total FROM gone)
SELECT g.source_key, g.name, n.total
FROM n LEFT JOIN LATERAL (SELECT * FROM gone ORDER BY source_key LIMIT @listed) g ON true
