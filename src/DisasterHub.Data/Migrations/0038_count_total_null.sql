-- A sum of counts with nothing to sum stays NULL (issue 16 item 6). hub_count_total (0010_a) clamped with
-- greatest/least, which skip a NULL argument, so a cluster without the attribute (shelters have no customers_out;
-- evacuees hidden from the caller) and a roll-up sum over no value read -9223372036854775808 instead of nothing.
CREATE OR REPLACE FUNCTION hub_count_total(v numeric) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN v IS NOT NULL THEN least(greatest(v, -9223372036854775808), 9223372036854775807)::bigint END
$$;
