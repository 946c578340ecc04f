-- Every active subscription's new matching changes become deliveries (a stream subscription's: status 'stream', read
-- by its event stream, never POSTed). A trailing window (@lookback changes before the
-- cursor) catches a transaction that took its change_seq before a later one but committed after it; the unique
-- (subscription, change) key keeps each delivery single. The payload is the change as the event stream shows it,
-- with the attributes hidden from the subscription's owner removed. A row that left the merged layer (withdrawn by a
-- full replacement, or merged into another entity) is delivered as `deleted` with its last state, from its deletion
-- marker (merged_feature_past.change_seq, migration 0053; the same sequence as the changes), by the same conditions.
WITH subs AS (
    SELECT * FROM subscription WHERE disabled_at IS NULL FOR UPDATE SKIP LOCKED
),
top AS (
    SELECT hub_last_change_seq() AS hi
),
hits AS (
    INSERT INTO subscription_delivery (subscription_id, change_seq, status, kind, payload, next_attempt_at, created_at)
    SELECT s.id, m.change_seq, CASE WHEN s.webhook_url IS NULL THEN 'stream' ELSE 'pending' END,
           CASE WHEN m.expired_seq = m.change_seq THEN 'expired' ELSE 'change' END,
           json_build_object(
               'subscription', s.id, 'change_seq', m.change_seq,
               'event', CASE WHEN m.expired_seq = m.change_seq THEN 'expired' ELSE 'change' END,
               'previous_status', p.status,
               'feature', json_build_object(
                   'type', 'Feature', 'id', m.id, 'geometry', ST_AsGeoJSON(m.geom, 7)::json,
                   'properties', json_build_object(
                       'layer', m.layer, 'entity_key', m.entity_key, 'name', m.name, 'municipality_code', m.municipality_code,
                       'status', m.status, 'severity', m.severity, 'observed_at', m.observed_at, 'received_at', m.received_at,
                       'sources', m.sources, 'valid_until', m.valid_until, 'version', m.version,
                       'attrs', hub_visible_attrs(m.attrs, s.hidden, m.layer))))::text,
           @now, @now
    FROM subs s
    JOIN merged_feature m ON m.workspace = s.workspace AND m.layer = ANY (s.layers) AND m.classification = ANY (s.levels)
         AND m.change_seq > greatest(s.cursor - @lookback, s.created_seq) AND m.change_seq <= (SELECT hi FROM top)
    LEFT JOIN LATERAL (
        SELECT v.status FROM merged_feature_version v
        WHERE v.workspace = m.workspace AND v.layer = m.layer AND v.entity_key = m.entity_key AND v.version < m.version
        ORDER BY v.version DESC LIMIT 1) p ON true
    WHERE (s.area IS NULL OR (m.geom && s.area AND ST_Intersects(m.geom, s.area)))
      AND (s.municipality_codes IS NULL OR EXISTS (
           SELECT 1 FROM unnest(s.municipality_codes) c WHERE m.municipality_code = c OR (length(c) = 2 AND left(m.municipality_code, 2) = c)))
      AND (s.min_severity IS NULL OR m.severity >= s.min_severity)
      AND (NOT s.status_changes OR m.status IS DISTINCT FROM p.status OR m.expired_seq = m.change_seq)
    ON CONFLICT (subscription_id, change_seq) DO NOTHING
    RETURNING 1
),
gone AS (
    INSERT INTO subscription_delivery (subscription_id, change_seq, status, kind, payload, next_attempt_at, created_at)
    SELECT s.id, d.change_seq, CASE WHEN s.webhook_url IS NULL THEN 'stream' ELSE 'pending' END, 'deleted',
           json_build_object(
               'subscription', s.id, 'change_seq', d.change_seq, 'event', 'deleted', 'previous_status', d.status,
               'feature', json_build_object(
                   'type', 'Feature', 'id', d.merged_id, 'geometry', ST_AsGeoJSON(d.geom, 7)::json,
                   'properties', json_build_object(
                       'layer', d.layer, 'entity_key', d.entity_key, 'name', d.name, 'municipality_code', d.municipality_code,
                       'status', d.status, 'severity', d.severity, 'observed_at', d.observed_at, 'received_at', d.received_at,
                       'sources', d.sources, 'valid_until', d.valid_until, 'version', d.version, 'deleted', true,
                       'attrs', hub_visible_attrs(d.attrs, s.hidden, d.layer))))::text,
           @now, @now
    FROM subs s
    JOIN merged_feature_past d ON d.change_seq IS NOT NULL AND d.workspace = s.workspace AND d.layer = ANY (s.layers)
         AND d.classification = ANY (s.levels)
         AND d.change_seq > greatest(s.cursor - @lookback, s.created_seq) AND d.change_seq <= (SELECT hi FROM top)
    -- the area, municipality and severity conditions as for a change, on the last state; leaving is a status change
    WHERE (s.area IS NULL OR (d.geom && s.area AND ST_Intersects(d.geom, s.area)))
      AND (s.municipality_codes IS NULL OR EXISTS (
           SELECT 1 FROM unnest(s.municipality_codes) c WHERE d.municipality_code = c OR (length(c) = 2 AND left(d.municipality_code, 2) = c)))
      AND (s.min_severity IS NULL OR d.severity >= s.min_severity)
    ON CONFLICT (subscription_id, change_seq) DO NOTHING
    RETURNING 1
),
moved AS (
    UPDATE subscription s SET cursor = (SELECT hi FROM top) FROM subs WHERE s.id = subs.id AND s.cursor < (SELECT hi FROM top) RETURNING 1
)
SELECT (SELECT count(*) FROM hits) + (SELECT count(*) FROM gone), (SELECT count(*) FROM moved)
