-- One 災害対策本部 entry (history is kept; the current status is the entry with the latest `at`).
INSERT INTO municipality_hq (workspace, code, status, at, recorded_at, organization_id, api_key_id)
VALUES (@workspace, @code, @status, @at, @recorded_at, @organization_id, @api_key_id)
RETURNING id
