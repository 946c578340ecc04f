-- Credentials per feed (issue 18 item 3), encrypted at rest with ASP.NET Data Protection, whose key ring lives here so
-- that every node can decrypt them.
CREATE TABLE data_protection_keys (
    id            serial PRIMARY KEY,
    friendly_name text,
    xml           text
);
ALTER TABLE source ADD COLUMN credentials bytea;
