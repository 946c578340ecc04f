-- At start-up (HubApp.PrepareAsync): the staleness limits the hub now runs with (@limits, seconds per layer,
-- Hub:Staleness) against those the merged rows were ranked with (merge_staleness). The multi-feature rows of every
-- layer whose limit changed, appeared or went are due (their ranking window ends at once, migration 0051), so each is
-- merged again at its sources' next ingest; then the new limits are the ones recorded.
LOCK TABLE merge_staleness IN EXCLUSIVE MODE;

UPDATE merged_feature m SET rank_until = '-infinity'
WHERE m.rank_from IS NOT NULL AND m.layer IN (
    SELECT coalesce(c.key, s.layer)
    FROM jsonb_each_text(@limits::jsonb) c FULL JOIN merge_staleness s ON s.layer = c.key
    WHERE c.value::double precision IS DISTINCT FROM s.seconds);

DELETE FROM merge_staleness;
INSERT INTO merge_staleness (layer, seconds) SELECT key, value::double precision FROM jsonb_each_text(@limits::jsonb)
