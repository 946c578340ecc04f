-- A registry change made where no scheduler runs (the CLI): every node's listener wakes its schedule watchdog, which
-- writes the source's recurring job (or removes a disabled one's) in the shared Hangfire storage at once instead of
-- at its next periodic check. {0} = the source id.
SELECT pg_notify('hub_registry', {0})
