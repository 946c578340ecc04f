-- Has this host replayed the primary's WAL up to @target (a pg_current_wal_lsn() read on the primary after a change
-- committed)? A host that is not in recovery (a primary in a multi-host list) has everything.
SELECT NOT pg_is_in_recovery() OR coalesce(pg_last_wal_replay_lsn() >= @target::pg_lsn, false)
