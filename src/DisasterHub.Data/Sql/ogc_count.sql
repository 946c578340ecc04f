-- numberMatched of an items request: the same rows and filters as ogc_items.sql.
SELECT count(*)
FROM ({rows}) r
WHERE r.classification = ANY (@levels)
  {bbox}
  {filter}
