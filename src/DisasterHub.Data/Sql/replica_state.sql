-- One read replica's state, asked on that host (ReplicaSet.StatesAsync). @primary_lsn is the primary's
-- pg_current_wal_lsn() when the primary answered, else NULL: the lag in bytes is then what the replica has received but
-- not replayed. lag_seconds is 0 when everything known is replayed, else the age of the last replayed commit.
WITH s AS (
    SELECT pg_is_in_recovery() AS in_recovery,
           pg_last_wal_receive_lsn() AS received,
           pg_last_wal_replay_lsn() AS replayed,
           pg_last_xact_replay_timestamp() AS replayed_at
)
SELECT in_recovery,
       CASE WHEN NOT in_recovery THEN 0
            ELSE greatest(0, pg_wal_lsn_diff(coalesce(@primary_lsn::pg_lsn, received, replayed), replayed))::bigint END AS lag_bytes,
       CASE WHEN NOT in_recovery THEN 0::float8
            WHEN replayed >= coalesce(@primary_lsn::pg_lsn, received, replayed) THEN 0::float8
            ELSE coalesce(extract(epoch FROM now() - replayed_at)::float8, 0) END AS lag_seconds,
       CASE WHEN in_recovery THEN pg_is_wal_replay_paused() ELSE false END AS replay_paused,
       replayed::text
FROM s
