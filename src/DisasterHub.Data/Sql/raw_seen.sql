-- Whether this source already delivered exactly these bytes and they were parsed (followed documents are deduplicated so).
SELECT EXISTS (SELECT 1 FROM raw_document WHERE source_id = @source_id AND sha256 = @h AND status = 'parsed')
