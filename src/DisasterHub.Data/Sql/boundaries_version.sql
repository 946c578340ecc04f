-- Changes whenever boundaries are imported (the import stamps every row it writes): the record checks reload on change.
SELECT count(*), coalesce(max(imported_at), '-infinity'::timestamptz) FROM municipality_boundary
