-- Changes whenever boundaries are imported (the import stamps every row it writes): the record checks reload on change.
-- Read by every push: an index-only scan of municipality_boundary_imported (migration 0065), not the rows themselves.
SELECT count(*), coalesce(max(imported_at), '-infinity'::timestamptz) FROM municipality_boundary
