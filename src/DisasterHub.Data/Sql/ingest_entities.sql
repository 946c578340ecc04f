-- Statistics only for the columns the ingest's statements join or filter staging on: the wide ones (wkb, attrs, names)
-- took three quarters of a 110,000-row first load's ANALYZE (~380 → ~100 ms) and no plan reads them.
ANALYZE staging (layer, source_key, entity_key, name_key, observed_at);

-- Identity across sources (before the upsert): a record known only by municipality + normalized name adopts the
-- national id (共通ID) of a feature with the same name key within 100 m, and a record that brings a national id
-- pulls such name-keyed features into its entity. Returns the entity keys whose merged rows must be recomputed.
UPDATE staging s SET entity_key = sub.entity_key
FROM (
    SELECT DISTINCT ON (s2.source_key) s2.source_key, f.entity_key
    FROM staging s2
    JOIN feature f ON f.workspace = @workspace AND f.layer = s2.layer AND f.name_key = s2.name_key AND f.entity_key <> s2.name_key
    WHERE s2.name_key IS NOT NULL AND s2.entity_key = s2.name_key
      AND ST_DWithin(f.geom::geography, ST_GeomFromWKB(s2.wkb, 4326)::geography, 100)
    ORDER BY s2.source_key, f.observed_at DESC
) sub
WHERE s.source_key = sub.source_key;

CREATE TEMP TABLE touched ON COMMIT DROP AS
SELECT DISTINCT layer, entity_key FROM staging;

-- Entity keys this document may have emptied (features re-keyed away): only these can leave the merged layer.
CREATE TEMP TABLE retired (layer text, entity_key text) ON COMMIT DROP;

WITH moved AS (
    UPDATE feature f SET entity_key = s.entity_key
    FROM staging s
    WHERE f.workspace = @workspace AND f.layer = s.layer AND s.name_key IS NOT NULL AND s.entity_key <> s.name_key
      AND f.entity_key = s.name_key AND ST_DWithin(f.geom::geography, ST_GeomFromWKB(s.wkb, 4326)::geography, 100)
    RETURNING f.layer, s.name_key AS old_key
)
INSERT INTO retired SELECT DISTINCT layer, old_key FROM moved;

-- A record of this source whose entity key changed leaves its old merged row to recompute.
INSERT INTO retired
SELECT DISTINCT f.layer, f.entity_key
FROM feature f JOIN staging s ON f.part = @part AND f.workspace = @workspace AND f.source_id = @source_id AND f.source_key = s.source_key
WHERE f.entity_key IS DISTINCT FROM s.entity_key AND f.entity_key IS NOT NULL;

INSERT INTO touched SELECT * FROM retired;
-- unchanged records of multi-source entities (ingest_unchanged.sql): merged again for the clock
INSERT INTO touched SELECT * FROM recheck;
ANALYZE touched;
