-- The sharing rules' attribute filter, written once (issue 12): every read path (items, tiles, as-of, events,
-- subscriptions, roll-up) removes what is hidden from the caller through these functions instead of its own copy of
-- the expression. `hidden` is the caller's clearance map: layer → attribute keys it may not see (ClassificationPolicy.Hidden).
CREATE OR REPLACE FUNCTION hub_visible_attrs(attrs jsonb, hidden jsonb, layer text) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT attrs - ARRAY(SELECT jsonb_array_elements_text(hidden -> layer))
$$;

-- Per-field provenance keys attributes as "attrs.<key>".
CREATE OR REPLACE FUNCTION hub_visible_provenance(provenance jsonb, hidden jsonb, layer text) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT provenance - ARRAY(SELECT 'attrs.' || jsonb_array_elements_text(hidden -> layer))
$$;

-- Conflicts name their field ("attrs.<key>"): a conflict on a hidden attribute is not shown.
CREATE OR REPLACE FUNCTION hub_visible_conflicts(conflicts jsonb, hidden jsonb, layer text) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(jsonb_agg(c), '[]'::jsonb) FROM jsonb_array_elements(conflicts) c
    WHERE NOT (c ->> 'field') = ANY (ARRAY(SELECT 'attrs.' || jsonb_array_elements_text(hidden -> layer)))
$$;

-- Whether one attribute is hidden (counted attributes in aggregates stay null when it is).
CREATE OR REPLACE FUNCTION hub_hidden(hidden jsonb, layer text, key text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(hidden -> layer ? key, false)
$$;
