-- What a cancellation (JMA 取消, naming only its event) retracts: the source's current features of the layer, in the
-- workspace, whose attrs.event_id is the cancelled event. The pipeline writes them back with status 取消 and
-- severity 0 through the normal upsert and merge.
SELECT k.ord, f.source_key, f.entity_key, f.municipality_code, f.name, f.address, ST_AsBinary(f.geom), f.observed_at, f.attrs::text
FROM unnest(@events::text[]) WITH ORDINALITY AS k(event_id, ord)
JOIN feature f ON f.workspace = @workspace AND f.source_id = @source_id AND f.layer = @layer
             AND f.attrs ->> 'event_id' = k.event_id
ORDER BY k.ord, f.source_key
