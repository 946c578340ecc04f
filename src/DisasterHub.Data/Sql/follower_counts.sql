-- A follower's counts after a pull (issue 18 item 5): entries seen in its entry document, documents taken, duplicates
-- skipped, the publication-to-map delay of the last one taken, and the last span it could not fill.
UPDATE source SET follow_seen = follow_seen + @seen, follow_fetched = follow_fetched + @taken,
    follow_duplicates = follow_duplicates + @dups, publication_delay_ms = coalesce(@delay, publication_delay_ms),
    gap_since = coalesce(@gap_since, gap_since), gap_until = coalesce(@gap_until, gap_until)
WHERE id = @id
