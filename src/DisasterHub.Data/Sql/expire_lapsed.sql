-- Merged rows whose valid_until has passed and whose lapse is not announced yet: each gets a new change_seq, kept in
-- expired_seq, so the event stream sends it once as `expired` (events.sql) and every node drops its cached tiles.
-- SKIP LOCKED: several nodes may run this at once; each row is announced by one of them.
WITH lapsed AS (
    SELECT m.workspace, m.layer, m.entity_key
    FROM merged_feature m
    WHERE m.valid_until IS NOT NULL AND m.valid_until <= @now AND m.expired_seq IS NULL
    ORDER BY m.valid_until
    LIMIT 5000
    FOR UPDATE SKIP LOCKED
),
numbered AS (
    SELECT l.*, nextval('merged_change_seq') AS seq FROM lapsed l
)
-- the lapse is a state of its own in the history (a new history_id; migration 0049 closes the one before)
UPDATE merged_feature m SET change_seq = n.seq, expired_seq = n.seq, history_id = nextval('merged_feature_history_id_seq')
FROM numbered n
WHERE m.workspace = n.workspace AND m.layer = n.layer AND m.entity_key = n.entity_key
RETURNING m.workspace, m.layer, m.change_seq
