-- Licence and attribution per source (issue 15 item 7, first part): carried into exports, which name every source
-- whose records they hold with its licence.
ALTER TABLE source ADD COLUMN license text, ADD COLUMN attribution text;
