-- Delivered on commit to every hub node (LISTEN hub_changes): tile caches drop the layers, the event stream reads
-- merged changes after its last change_seq.
SELECT pg_notify('hub_changes', json_build_object(
    'workspace', @workspace::text,
    'layers', (SELECT coalesce(json_agg(DISTINCT layer), '[]'::json) FROM touched),
    'seq', (SELECT coalesce(max(change_seq), 0) FROM merged_feature))::text)
