-- A preview's transaction (IngestPipeline.PreviewAsync): PostgreSQL itself refuses any write in it.
SET TRANSACTION READ ONLY;
