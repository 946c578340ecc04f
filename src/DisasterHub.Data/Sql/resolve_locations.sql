-- Geometry for records a document located only by id: the newest feature of the same layer with the same entity
-- key, or the same municipality + normalized name.
SELECT DISTINCT ON (k.ord) k.ord, ST_AsBinary(f.geom)
FROM unnest(@entity_keys::text[], @source_keys::text[]) WITH ORDINALITY AS k(entity_key, source_key, ord)
JOIN feature f ON f.workspace = @workspace AND f.layer = @layer
             AND (f.entity_key = k.entity_key OR f.source_key = k.source_key OR f.attrs ->> 'common_id' = k.source_key)
ORDER BY k.ord, (f.entity_key = k.entity_key) DESC, f.observed_at DESC
