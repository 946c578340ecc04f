-- Companion reference files a source's parser needs (e.g. the AMeDAS station table): {"amedastable.json": "https://…"}.
ALTER TABLE source ADD COLUMN companions jsonb NOT NULL DEFAULT '{}';
