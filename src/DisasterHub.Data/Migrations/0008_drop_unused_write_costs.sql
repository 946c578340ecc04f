-- Every ingest paid for columns and indexes no query reads: the stored EPSG:3857 copies of feature and merged
-- geometry (tile.sql transforms the few rows a tile needs on the fly, so the GiST on geom is the one used) and an
-- index on feature_version that is a prefix of its unique constraint's index.
DROP INDEX feature_geom_3857;
ALTER TABLE feature DROP COLUMN geom_3857;
DROP INDEX merged_feature_geom_3857;
ALTER TABLE merged_feature DROP COLUMN geom_3857;
DROP INDEX feature_version_key;
