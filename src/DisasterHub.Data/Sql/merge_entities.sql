-- Recompute merged_feature for the touched entities: each field from the highest-priority source (lowest
-- source.priority), then the most recent observation, with per-field provenance (one feature: its source once); disagreements on key fields
-- (開設状況, evacuees differing by more than 20 %, power restoration ETA) kept in conflicts.
-- Freshness beats stale priority (issue 11 §4): a value observed longer ago than its layer's staleness limit
-- (@stale_limits, seconds per layer, Hub:Staleness) ranks after every fresh one, and the conflict says so; a feature
-- past its valid_until (as of @now, the ingest's clock) ranks after every valid one. The merged row is valid from the
-- earliest to the latest of its features' windows (open-ended when any feature is).
-- The ranking holds from @now until a value turns stale or lapses: a multi-feature row keeps that window (rank_from,
-- rank_until; migration 0051), and a later ingest merges it again only when its clock is outside the window.
-- A merged row is written in the partition of merged_feature it is in (merge_keys' merged_part, migration 0061), a new
-- one in the shared partition (''); the entities a first load's bulk path merged already are skipped (@bulk).
-- Most entities have one feature (a bulk load, a single source): those are copied over without aggregation, read
-- straight from feature into the insert. Which ones have more is found first, on the keys alone (merge_keys:
-- Sql/merge_keys.sql, as a subquery for a few entities, or for many a temporary table the caller fills and analyzes, so the
-- joins below are planned for its real size); only those features are ranked (rm, which head and attr both read, so it
-- is materialized: with every touched feature in it, a national first load's 110,000 wide rows were written out and
-- read back, ~0.5 s).
WITH rm AS (
    SELECT f.*, s.priority,
           coalesce(f.observed_at < @now - make_interval(secs => (@stale_limits::jsonb ->> f.layer)::double precision), false) AS stale,
           -- the first clock at which this value is stale (null: never); stale flips once the clock is past the limit
           f.observed_at + make_interval(secs => (@stale_limits::jsonb ->> f.layer)::double precision) + interval '1 microsecond' AS stale_at,
           (f.valid_until IS NOT NULL AND f.valid_until <= @now) AS lapsed,
           CASE WHEN jsonb_typeof(f.attrs -> 'evacuees') = 'number' THEN (f.attrs ->> 'evacuees')::numeric END AS ev,
           f.attrs ->> 'restoration_eta' AS eta,
           jsonb_build_object('source', f.source_id, 'observed_at', f.observed_at) AS prov, k.merged_part
    FROM feature f
    JOIN source s ON s.id = f.source_id
    JOIN {merge_keys} k ON k.layer = f.layer AND k.entity_key = f.entity_key AND k.multi
    WHERE f.workspace = @workspace
),
single AS (
    SELECT f.*, jsonb_build_object('source', f.source_id, 'observed_at', f.observed_at) AS prov, k.merged_part
    FROM feature f
    -- not the ones a first load's bulk path merged already (@bulk; merge_bulk.sql: every entity of its partition with
    -- one feature and no merged row yet), told apart on merge_keys alone
    JOIN {merge_keys} k ON k.layer = f.layer AND k.entity_key = f.entity_key AND NOT k.multi
                       AND NOT (@bulk AND k.in_part AND k.merged_part IS NULL)
    WHERE f.workspace = @workspace
),
head AS (
    SELECT layer, entity_key, merged_part,
        (array_agg(geom ORDER BY lapsed, stale, priority, observed_at DESC))[1] AS geom,
        (array_agg(prov ORDER BY lapsed, stale, priority, observed_at DESC))[1] AS geom_p,
        (array_agg(name ORDER BY lapsed, stale, priority, observed_at DESC) FILTER (WHERE name IS NOT NULL))[1] AS name,
        (array_agg(prov ORDER BY lapsed, stale, priority, observed_at DESC) FILTER (WHERE name IS NOT NULL))[1] AS name_p,
        (array_agg(address ORDER BY lapsed, stale, priority, observed_at DESC) FILTER (WHERE address IS NOT NULL))[1] AS address,
        (array_agg(prov ORDER BY lapsed, stale, priority, observed_at DESC) FILTER (WHERE address IS NOT NULL))[1] AS address_p,
        (array_agg(municipality_code ORDER BY lapsed, stale, priority, observed_at DESC) FILTER (WHERE municipality_code IS NOT NULL))[1] AS municipality_code,
        (array_agg(prov ORDER BY lapsed, stale, priority, observed_at DESC) FILTER (WHERE municipality_code IS NOT NULL))[1] AS municipality_code_p,
        (array_agg(status ORDER BY lapsed, stale, priority, observed_at DESC) FILTER (WHERE status IS NOT NULL))[1] AS status,
        (array_agg(prov ORDER BY lapsed, stale, priority, observed_at DESC) FILTER (WHERE status IS NOT NULL))[1] AS status_p,
        (array_agg(severity ORDER BY lapsed, stale, priority, observed_at DESC) FILTER (WHERE severity IS NOT NULL))[1] AS severity,
        (array_agg(prov ORDER BY lapsed, stale, priority, observed_at DESC) FILTER (WHERE severity IS NOT NULL))[1] AS severity_p,
        max(observed_at) AS observed_at,
        max(received_at) AS received_at,
        CASE WHEN bool_and(valid_from IS NOT NULL) THEN min(valid_from) END AS valid_from,
        CASE WHEN bool_and(valid_until IS NOT NULL) THEN max(valid_until) END AS valid_until,
        -- the end of this ranking's window: the first value to turn stale or lapse after @now
        least(min(stale_at) FILTER (WHERE NOT stale), min(valid_until) FILTER (WHERE NOT lapsed)) AS rank_until,
        -- the source priority alone would have taken is stale while another is fresh: say who won and why
        CASE WHEN (array_agg(stale ORDER BY priority, observed_at DESC))[1] AND bool_or(NOT stale) THEN jsonb_build_object(
            'field', 'priority',
            'reason', 'stale: older than ' || CASE WHEN (@stale_limits::jsonb ->> layer)::numeric % 3600 = 0
                THEN ((@stale_limits::jsonb ->> layer)::numeric / 3600)::bigint || ' h'
                ELSE round((@stale_limits::jsonb ->> layer)::numeric / 60)::bigint || ' min' END,
            'chosen', (array_agg(source_id ORDER BY lapsed, stale, priority, observed_at DESC))[1],
            'values', jsonb_agg(jsonb_build_object('source', source_id, 'priority', priority, 'observed_at', observed_at, 'stale', stale) ORDER BY priority)) END AS c_stale,
        (array_agg(classification ORDER BY CASE classification WHEN 'restricted' THEN 0 WHEN 'responders' THEN 1 ELSE 2 END))[1] AS classification,
        array_agg(DISTINCT source_id ORDER BY source_id) AS sources,
        CASE WHEN count(DISTINCT status) > 1 THEN jsonb_build_object('field', 'status', 'values',
            jsonb_agg(jsonb_build_object('source', source_id, 'value', status, 'observed_at', observed_at) ORDER BY priority) FILTER (WHERE status IS NOT NULL)) END AS c_status,
        CASE WHEN count(ev) > 1 AND max(ev) > 0 AND max(ev) - min(ev) > 0.2 * max(ev) THEN jsonb_build_object('field', 'attrs.evacuees', 'values',
            jsonb_agg(jsonb_build_object('source', source_id, 'value', ev, 'observed_at', observed_at) ORDER BY priority) FILTER (WHERE ev IS NOT NULL)) END AS c_evacuees,
        CASE WHEN count(DISTINCT eta) > 1 THEN jsonb_build_object('field', 'attrs.restoration_eta', 'values',
            jsonb_agg(jsonb_build_object('source', source_id, 'value', eta, 'observed_at', observed_at) ORDER BY priority) FILTER (WHERE eta IS NOT NULL)) END AS c_eta
    FROM rm
    GROUP BY layer, entity_key, merged_part
),
attr AS (
    SELECT layer, entity_key, jsonb_object_agg(key, value) AS attrs, jsonb_object_agg('attrs.' || key, prov) AS prov
    FROM (
        SELECT r.layer, r.entity_key, kv.key,
               (array_agg(kv.value ORDER BY r.lapsed, r.stale, r.priority, r.observed_at DESC))[1] AS value,
               (array_agg(r.prov ORDER BY r.lapsed, r.stale, r.priority, r.observed_at DESC))[1] AS prov
        FROM rm r CROSS JOIN LATERAL jsonb_each(r.attrs) kv
        GROUP BY 1, 2, 3
    ) x
    GROUP BY layer, entity_key
),
m AS (
    SELECT h.layer, h.entity_key, h.merged_part, h.geom, h.name, h.address, h.municipality_code, h.status, h.severity, h.observed_at,
        h.received_at, h.classification, h.sources, coalesce(a.attrs, '{}') AS attrs,
        jsonb_strip_nulls(jsonb_build_object('geometry', h.geom_p, 'name', h.name_p, 'address', h.address_p,
            'municipality_code', h.municipality_code_p, 'status', h.status_p, 'severity', h.severity_p)) || coalesce(a.prov, '{}') AS provenance,
        (SELECT coalesce(jsonb_agg(c), '[]') FROM unnest(ARRAY[h.c_stale, h.c_status, h.c_evacuees, h.c_eta]) c WHERE c IS NOT NULL) AS conflicts,
        h.valid_from, h.valid_until, @now::timestamptz AS rank_from, h.rank_until, NULL::text AS content_hash
    FROM head h LEFT JOIN attr a USING (layer, entity_key)
    UNION ALL
    -- one feature: the same values the aggregation gives, and its provenance once for the whole row (issue 16 §4;
    -- the read paths expand it into the per-field map with hub_provenance, migration 0047). Its content hash comes from
    -- the feature's (every stored column of the record but observed_at: IngestStore.ContentHash) with the two values a
    -- merged row adds, its source and observed_at, instead of hashing the row's text again (a first load's merge spent
    -- ~1 s of 110,000 rows' ~4.5 s there). A 's' prefix keeps it apart from the hashes of multi-feature rows.
    -- merge_bulk.sql writes the same row for a first load's bulk path: a change here is a change there.
    SELECT s.layer, s.entity_key, s.merged_part, s.geom, s.name, s.address, s.municipality_code, s.status, s.severity, s.observed_at,
        s.received_at, s.classification, ARRAY[s.source_id], s.attrs, s.prov, '[]'::jsonb, s.valid_from, s.valid_until,
        NULL::timestamptz, NULL::timestamptz,
        md5(concat_ws('|', 's', encode(s.content_hash, 'hex'), s.source_id, s.observed_at))
    FROM single s
)
INSERT INTO merged_feature (workspace, layer, entity_key, municipality_code, name, address, geom, status, severity,
                            observed_at, received_at, classification, attrs, provenance, conflicts, sources, content_hash,
                            valid_from, valid_until, rank_from, rank_until, part)
SELECT @workspace, layer, entity_key, municipality_code, name, address, geom, status, severity, observed_at, received_at,
       classification, attrs, provenance, conflicts, sources,
       coalesce(content_hash, md5(concat_ws('|', encode(ST_AsEWKB(geom), 'hex'), municipality_code, name, address, status, severity, observed_at,
                     classification, attrs::text, provenance::text, conflicts::text, array_to_string(sources, ','),
                     valid_from, valid_until))),
       valid_from, valid_until, rank_from, rank_until, coalesce(merged_part, '')
FROM m
-- A changed state is a new version; a row merged again to the same state (its window had ended) only moves its window
-- (no version, no change event: version, change_seq, history_id and received_at stay). Every other column is covered
-- by the content hash, so equal hashes mean equal values.
ON CONFLICT (workspace, layer, entity_key, part) DO UPDATE SET
    municipality_code = EXCLUDED.municipality_code, name = EXCLUDED.name, address = EXCLUDED.address, geom = EXCLUDED.geom,
    status = EXCLUDED.status, severity = EXCLUDED.severity, observed_at = EXCLUDED.observed_at,
    received_at = CASE WHEN merged_feature.content_hash <> EXCLUDED.content_hash THEN EXCLUDED.received_at ELSE merged_feature.received_at END,
    classification = EXCLUDED.classification, attrs = EXCLUDED.attrs,
    provenance = EXCLUDED.provenance, conflicts = EXCLUDED.conflicts, sources = EXCLUDED.sources,
    content_hash = EXCLUDED.content_hash,
    version = merged_feature.version + CASE WHEN merged_feature.content_hash <> EXCLUDED.content_hash THEN 1 ELSE 0 END,
    change_seq = CASE WHEN merged_feature.content_hash <> EXCLUDED.content_hash THEN nextval('merged_change_seq') ELSE merged_feature.change_seq END,
    -- a new merged state: the trigger of migration 0049 closes the one it replaces into merged_feature_past
    history_id = CASE WHEN merged_feature.content_hash <> EXCLUDED.content_hash THEN nextval('merged_feature_history_id_seq') ELSE merged_feature.history_id END,
    valid_from = EXCLUDED.valid_from, valid_until = EXCLUDED.valid_until,
    -- a lapse already announced stays announced unless the window itself changed
    expired_seq = CASE WHEN EXCLUDED.valid_until IS NOT DISTINCT FROM merged_feature.valid_until THEN merged_feature.expired_seq END,
    rank_from = EXCLUDED.rank_from, rank_until = EXCLUDED.rank_until
WHERE merged_feature.content_hash <> EXCLUDED.content_hash
   OR merged_feature.rank_from IS DISTINCT FROM EXCLUDED.rank_from OR merged_feature.rank_until IS DISTINCT FROM EXCLUDED.rank_until;

-- Entities that lost every feature (moved to another entity, or withdrawn: ingest_withdraw.sql) leave the merged
-- layer; the deletion marker the trigger writes is received at the ingest's clock (migration 0053), not the database's.
-- Every retired entity is also touched, so merge_keys holds it exactly when it still has a feature in the workspace
-- (nothing above writes feature). Probing feature itself once per entity was planned, on a partition whose rows an
-- earlier withdrawal had emptied, as a scan of that whole layer's index per probe: 110,000 probes took 33–60 s.
SELECT set_config('hub.received_at', @now::timestamptz::text, true);
DELETE FROM merged_feature mf USING (SELECT DISTINCT layer, entity_key FROM retired) t
WHERE mf.workspace = @workspace AND mf.layer = t.layer AND mf.entity_key = t.entity_key
  AND NOT EXISTS (SELECT 1 FROM {merge_keys} k WHERE k.layer = t.layer AND k.entity_key = t.entity_key);

