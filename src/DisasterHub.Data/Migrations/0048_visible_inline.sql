-- The sharing rules' filters (migration 0024) as expressions PostgreSQL can inline (issue 16, tiles at 1,000,000
-- features): a SQL function whose body holds a sub-select is called per row through the function executor, and a
-- dense z9 tile called three of them for each of its 68,000 rows before the cap. 0024's filters keep their bodies
-- under new names, and each public filter becomes a CASE without a sub-select — the caller's clearance hides nothing
-- on this layer (the common case): the value as it is — which the planner inlines; only a layer with hidden
-- attributes calls the filtering function. Same results as before.
ALTER FUNCTION hub_visible_attrs(jsonb, jsonb, text) RENAME TO hub_hidden_attrs_removed;
ALTER FUNCTION hub_visible_provenance(jsonb, jsonb, text) RENAME TO hub_hidden_provenance_removed;
ALTER FUNCTION hub_visible_conflicts(jsonb, jsonb, text) RENAME TO hub_hidden_conflicts_removed;

CREATE FUNCTION hub_visible_attrs(attrs jsonb, hidden jsonb, layer text) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN hidden ? layer THEN hub_hidden_attrs_removed(attrs, hidden, layer) ELSE attrs END
$$;

CREATE FUNCTION hub_visible_provenance(provenance jsonb, hidden jsonb, layer text) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN hidden ? layer THEN hub_hidden_provenance_removed(provenance, hidden, layer) ELSE provenance END
$$;

CREATE FUNCTION hub_visible_conflicts(conflicts jsonb, hidden jsonb, layer text) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN conflicts = '[]'::jsonb OR NOT hidden ? layer THEN conflicts
                ELSE hub_hidden_conflicts_removed(conflicts, hidden, layer) END
$$;
