-- The sharing rules' filters (migration 0024) as expressions PostgreSQL can inline (issue 16, tiles at 1,000,000
-- features): a SQL function whose body holds a sub-select is called per row through the function executor, and a
-- dense z9 tile called three of them for each of its 68,000 rows before the cap. Each filter is now a CASE without a
-- sub-select — the caller's clearance hides nothing on this layer (the common case): the value as it is — which the
-- planner inlines, and only a layer with hidden attributes calls the filtering function. Same results as before.
CREATE OR REPLACE FUNCTION hub_hidden_attrs_removed(attrs jsonb, hidden jsonb, layer text) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT attrs - ARRAY(SELECT jsonb_array_elements_text(hidden -> layer))
$$;

CREATE OR REPLACE FUNCTION hub_hidden_provenance_removed(provenance jsonb, hidden jsonb, layer text) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT provenance - ARRAY(SELECT 'attrs.' || jsonb_array_elements_text(hidden -> layer))
$$;

CREATE OR REPLACE FUNCTION hub_hidden_conflicts_removed(conflicts jsonb, hidden jsonb, layer text) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(jsonb_agg(c), '[]'::jsonb) FROM jsonb_array_elements(conflicts) c
    WHERE NOT (c ->> 'field') = ANY (ARRAY(SELECT 'attrs.' || jsonb_array_elements_text(hidden -> layer)))
$$;

CREATE OR REPLACE FUNCTION hub_visible_attrs(attrs jsonb, hidden jsonb, layer text) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN hidden ? layer THEN hub_hidden_attrs_removed(attrs, hidden, layer) ELSE attrs END
$$;

CREATE OR REPLACE FUNCTION hub_visible_provenance(provenance jsonb, hidden jsonb, layer text) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN hidden ? layer THEN hub_hidden_provenance_removed(provenance, hidden, layer) ELSE provenance END
$$;

CREATE OR REPLACE FUNCTION hub_visible_conflicts(conflicts jsonb, hidden jsonb, layer text) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN conflicts = '[]'::jsonb OR NOT hidden ? layer THEN conflicts
                ELSE hub_hidden_conflicts_removed(conflicts, hidden, layer) END
$$;
