-- A municipality's 災害対策本部 entries, current first (latest `at`, then latest recorded).
SELECT id, status, at, recorded_at, organization_id
FROM municipality_hq
WHERE workspace = @workspace AND code = @code
ORDER BY at DESC, id DESC
LIMIT 200
