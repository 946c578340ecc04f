-- Write only what changed (issue 16 §2), for a large document of a large source: every current key and content hash of
-- the source in the workspace, read at once from its own partition (@part), so the rest of the document's batches are
-- compared in memory instead of probed key by key (ingest_probe.sql). Probing costs ~8 µs a key (36–50 ms a batch of
-- 5,000); this read ~2.4 µs a row the first time after a load, into the hub's dictionary (265 ms for 110,000, of them
-- 23 ms in PostgreSQL once the rows' hint bits are set): IngestTransaction reads it once the document has probed an
-- eighth as many records as the partition holds.
SELECT source_key, content_hash FROM feature
WHERE part = @part AND workspace = @workspace AND source_id = @source_id
