-- The registry lives in the database: the workspace a pull writes to is the source row's (no longer the configuration's
-- by list position), and configuration only seeds — a row it created keeps following it until someone changes the
-- row through the API or the CLI, after which the row is the truth and configuration never overwrites it.
ALTER TABLE source ADD COLUMN workspace text NOT NULL DEFAULT 'live';
ALTER TABLE source ADD COLUMN config_managed boolean NOT NULL DEFAULT false;
UPDATE source SET config_managed = true;
ALTER TABLE organization ADD COLUMN config_managed boolean NOT NULL DEFAULT false;
UPDATE organization SET config_managed = true;
