-- A timestamp read from an attribute (restoration_eta …): NULL when the text is not one, so a source's odd value can
-- never fail the roll-up or a tile (issue 12: overdue restoration estimates are computed in the roll-up).
CREATE OR REPLACE FUNCTION hub_timestamp(v text) RETURNS timestamptz
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    IF v IS NULL OR v !~ '^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}' THEN RETURN NULL; END IF;
    RETURN v::timestamptz;
EXCEPTION WHEN others THEN
    RETURN NULL;
END
$$;
