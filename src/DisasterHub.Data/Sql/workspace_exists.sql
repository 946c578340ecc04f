-- Whether a workspace of this name exists (live is always there and not a row). {0} = the name.
SELECT count(*) AS "Value" FROM workspace WHERE name = {0}
