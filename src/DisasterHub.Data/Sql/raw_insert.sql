-- The payload as it arrived, stored before parsing (nothing accepted is ever lost); the features written after point at it.
INSERT INTO raw_document (source_id, workspace, received_at, content_type, format, sha256, size_bytes, body, api_key_id, fetch_url)
VALUES (@source_id, @workspace, @received_at, @ct, @f, @sha, @size, @body, @key, @url) RETURNING id
