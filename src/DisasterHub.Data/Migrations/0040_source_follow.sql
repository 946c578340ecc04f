-- A follower's settings live on the source row (issue 14 §2: the registry in the database), no longer in configuration
-- by source id: a pointer feed's pointer URL, field and step (AMeDAS, outage maps), a JMA Atom feed's telegram types and
-- its long-period backfill feed. JSON keys as the API names them: pointer_url, pointer_field, pointer_step_seconds,
-- telegrams, backfill_url. Configuration seeds it like every other column.
ALTER TABLE source ADD COLUMN follow jsonb NOT NULL DEFAULT '{}';
