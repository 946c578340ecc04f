-- What became of a stored document: its status, the format that read it, and how many records it gave and had refused.
UPDATE raw_document SET status = @st, format = coalesce(@f, format), accepted = @a, rejected = @r WHERE id = @raw_document_id
