-- Provenance per source, not per field, for single-source entities (issue 16 §4). A merged row made from one feature
-- stored, for every field and every attribute key, the same {"source", "observed_at"} object: the largest part of the
-- merge's cost for a national registry, where nearly every entity has one source. Such a row now stores that object
-- once ({"source": …, "observed_at": …}; a per-field map never has a "source" key: its keys are field names and
-- "attrs.<key>"), and every read path expands it here into the per-field map it always presented, so callers see no
-- difference. Rows merged before keep their per-field maps and are read as they are.
CREATE OR REPLACE FUNCTION hub_provenance(provenance jsonb, attrs jsonb, name text, address text, municipality_code text,
                                          status text, severity smallint) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN NOT provenance ? 'source' THEN provenance ELSE
        jsonb_strip_nulls(jsonb_build_object('geometry', provenance,
            'name', CASE WHEN name IS NOT NULL THEN provenance END, 'address', CASE WHEN address IS NOT NULL THEN provenance END,
            'municipality_code', CASE WHEN municipality_code IS NOT NULL THEN provenance END,
            'status', CASE WHEN status IS NOT NULL THEN provenance END, 'severity', CASE WHEN severity IS NOT NULL THEN provenance END))
        || coalesce((SELECT jsonb_object_agg('attrs.' || k, provenance) FROM jsonb_object_keys(attrs) k), '{}')
    END
$$;
