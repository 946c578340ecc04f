-- Pulls are scheduled by Hangfire now (its own schema "hangfire", installed at start-up by Hangfire.PostgreSql's
-- installer under an advisory lock). Quartz.NET's clustered AdoJobStore tables go.
DROP TABLE IF EXISTS qrtz_fired_triggers, qrtz_paused_trigger_grps, qrtz_scheduler_state, qrtz_locks, qrtz_simple_triggers,
    qrtz_simprop_triggers, qrtz_cron_triggers, qrtz_blob_triggers, qrtz_triggers, qrtz_job_details, qrtz_calendars CASCADE;
