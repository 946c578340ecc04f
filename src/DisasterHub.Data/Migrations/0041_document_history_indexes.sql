-- A source's document history (Sql/source_documents.sql, the city's and utility's pages): newest first per source,
-- paged by id, and each document's push found in the audit log by its raw document id, without scanning either table.
CREATE INDEX raw_document_source_id ON raw_document (source_id, id DESC);
CREATE INDEX audit_push_document ON audit ((detail ->> 'RawDocumentId')) WHERE action = 'push';
