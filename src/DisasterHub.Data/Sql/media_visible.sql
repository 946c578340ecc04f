-- The stored media file a caller may fetch: a current record of the media layer with this content hash in the
-- caller's workspace, at a classification the caller may read (the same rows every read path uses), so a photo is
-- shared under the same rules as its record. Returns its media type, or nothing.
SELECT r.attrs ->> 'media_type'
FROM ({rows}) r
WHERE r.classification = ANY (@levels) AND r.attrs ->> 'sha256' = @sha
LIMIT 1
