-- Counts read from attributes (evacuees, customers_out, deaths, missing) become 64-bit integers whatever a source
-- sent: a number beyond bigint is clamped to its bound, a fraction is rounded, anything that is not a JSON number is
-- NULL. Reads cast through this one function so a valid but large count (two shelters of 2,000,000,000 evacuees, a
-- power area of 3,000,000,000 customers) or an odd value can never make a tile or the roll-up fail (issue 17).
CREATE OR REPLACE FUNCTION hub_count(v jsonb) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN jsonb_typeof(v) = 'number' THEN
        CASE WHEN v::numeric >= 9223372036854775807 THEN 9223372036854775807
             WHEN v::numeric <= -9223372036854775808 THEN -9223372036854775808
             ELSE round(v::numeric)::bigint END
    END
$$;

-- A sum of counts (numeric, so it cannot overflow while summing) brought back into bigint.
CREATE OR REPLACE FUNCTION hub_count_total(v numeric) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT least(greatest(v, -9223372036854775808), 9223372036854775807)::bigint
$$;
