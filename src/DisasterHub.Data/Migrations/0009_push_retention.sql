-- Retention and quotas of what pushes leave behind (issue 17 §15): the payload of a document that could not be
-- parsed is kept only up to a cap (its SHA-256 and full size stay), and a key's unparseable payloads count against a
-- quota, summed over this partial index; Idempotency-Key answers are pruned by age.
ALTER TABLE raw_document ADD COLUMN body_truncated boolean NOT NULL DEFAULT false;
CREATE INDEX raw_document_unparseable_by_key ON raw_document (api_key_id, source_id) WHERE status = 'unparseable';
CREATE INDEX idempotency_created_at ON idempotency (created_at);
