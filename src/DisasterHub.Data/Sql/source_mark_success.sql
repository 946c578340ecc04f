-- A source's successful attempt (SourceMark without an error): when, and the feed's validators, the raw document's
-- hash, the watermark and a follower's cursor, each kept as stored when the mark has none. A follower's cursor moves
-- in the transaction that ingested what it covers, so nothing is skipped or taken twice after a crash.
UPDATE source SET last_attempt_at = @at, last_success_at = @at,
    last_etag = coalesce(@etag, last_etag), last_modified = coalesce(@lm, last_modified),
    last_raw_sha256 = coalesce(@sha, last_raw_sha256), watermark = greatest(watermark, @wm),
    cursor = coalesce(@cursor, cursor), cursor_at = CASE WHEN @cursor IS NULL THEN cursor_at ELSE @at END
WHERE id = @id
