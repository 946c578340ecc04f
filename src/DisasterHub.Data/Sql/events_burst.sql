-- What a burst of changes after a cursor holds, for an event stream that asked for bursts (?burst=N) and found more
-- than N changes waiting: the last change_seq (the stream's new cursor), how many, which layers and the extent. Same
-- rows and filter as events.sql (changes, expiries, deletion markers), aggregated instead of listed, so a stream
-- sends one event for a national registry's 110,000 changes. The aggregate reads index-ordered rows after the cursor:
-- one pass over the burst, shared by every stream asking the same (EventQueries).
WITH waiting AS (
    SELECT m.change_seq, m.layer, m.geom
    FROM merged_feature m
    WHERE m.workspace = @workspace AND m.change_seq > @cursor AND m.layer = ANY (@layers)
      AND m.classification = ANY (@levels)
      AND (m.valid_until IS NULL OR m.valid_until > @now OR m.expired_seq = m.change_seq)
      AND (NOT @has_bbox OR m.geom && ST_MakeEnvelope(@minx, @miny, @maxx, @maxy, 4326))
    UNION ALL
    SELECT p.change_seq, p.layer, p.geom
    FROM merged_feature_past p
    WHERE p.change_seq > @cursor AND p.workspace = @workspace AND p.layer = ANY (@layers)
      AND p.classification = ANY (@levels)
      AND (NOT @has_bbox OR p.geom && ST_MakeEnvelope(@minx, @miny, @maxx, @maxy, 4326))
), extent AS (
    SELECT max(change_seq) AS last_seq, count(*) AS changes, array_agg(DISTINCT layer ORDER BY layer) AS layers,
           ST_Extent(geom) AS box
    FROM waiting
)
SELECT last_seq, changes, layers, ST_XMin(box), ST_YMin(box), ST_XMax(box), ST_YMax(box)
FROM extent
WHERE last_seq IS NOT NULL
