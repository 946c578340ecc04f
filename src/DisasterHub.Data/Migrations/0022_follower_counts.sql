-- What operators see of a feed follower (issue 18 item 5): entries seen, telegrams fetched, duplicates skipped, the
-- last gap it could not fill, and the publication-to-map delay of the last telegram (entry <updated> to ingest).
ALTER TABLE source
    ADD COLUMN follow_seen bigint NOT NULL DEFAULT 0,
    ADD COLUMN follow_fetched bigint NOT NULL DEFAULT 0,
    ADD COLUMN follow_duplicates bigint NOT NULL DEFAULT 0,
    ADD COLUMN gap_since timestamptz,
    ADD COLUMN gap_until timestamptz,
    ADD COLUMN publication_delay_ms bigint;
