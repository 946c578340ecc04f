using DisasterHub.Data;
using Hangfire;
using Hangfire.States;
using Hangfire.Storage;
using Hangfire.Storage.Monitoring;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace DisasterHub.Ingestion;

/// <summary>
/// What Hangfire itself does not repair, checked by every node: a pull source whose recurring job is missing, is out
/// of the schedule set (never triggered again), was disabled by the scheduler after repeated errors, has no next
/// execution, or whose next execution is overdue (nobody is triggering it: a scheduler lock held by a node that died,
/// a stuck scheduler) or further away than one interval (a stale or corrupted entry) is written again; a pull job left
/// "processing" by a node that is no longer alive, long after Hangfire's invisibility timeout would have handed it to
/// another node, is ended. Recurring jobs of sources that are no longer enabled pull sources are removed. The source's
/// last error says what was repaired, and when.
/// </summary>
public sealed class ScheduleWatchdog(IServiceProvider services, JobStorage storage, IRecurringJobManager recurring, IBackgroundJobClient jobs,
    ChangeSignal signal, IOptions<HubOptions> options, TimeProvider clock, ILogger<ScheduleWatchdog> log) : BackgroundService
{
    /// <summary>
    /// Lateness a healthy cluster can show: the scheduler's polling interval, a scheduling lock left by a killed node
    /// until it expires (<see cref="HangfireSetup.LockTimeout"/>), and load.
    /// </summary>
    public static readonly TimeSpan Allowance = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // woken at once by a registry change the CLI made (NOTIFY hub_registry, through ChangeListener), and
        // periodically (WatchdogSeconds; 0 = only when woken) for what Hangfire does not repair by itself
        using var wake = new SemaphoreSlim(0);
        var changed = new System.Collections.Concurrent.ConcurrentQueue<string>();
        void Woken(string id)
        {
            changed.Enqueue(id);
            wake.Release();
        }
        signal.RegistryChanged += Woken;
        var every = TimeSpan.FromSeconds(options.Value.WatchdogSeconds);
        using var timer = every > TimeSpan.Zero ? new PeriodicTimer(every, clock) : null;
        try
        {
            Task<bool> tick = timer is null ? new TaskCompletionSource<bool>().Task : timer.WaitForNextTickAsync(stoppingToken).AsTask();
            Task woken = wake.WaitAsync(stoppingToken);
            while (true)
            {
                var done = await Task.WhenAny(tick, woken);
                var registry = new HashSet<string>(StringComparer.Ordinal);
                await done; // a cancellation ends the loop here
                if (done == tick)
                {
                    if (!tick.Result) return;
                    tick = timer!.WaitForNextTickAsync(stoppingToken).AsTask();
                }
                else
                {
                    while (wake.CurrentCount > 0) await wake.WaitAsync(stoppingToken); // a burst of changes: one check
                    while (changed.TryDequeue(out var id)) registry.Add(id);
                    woken = wake.WaitAsync(stoppingToken);
                }
                try
                {
                    await CheckAsync(stoppingToken, registry);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // the database may be away (a restart): the next tick tries again
                    log.LogWarning("Schedule watchdog could not check: {Error}", e.Message);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // stopping (also when the host never got up, e.g. its port was taken): not an error
        }
        finally
        {
            signal.RegistryChanged -= Woken;
        }
    }

    /// <param name="changed">Sources just changed through the registry: a job written or removed for them is the
    /// change taking effect, not a repair, and is not noted as the source's error.</param>
    public async Task<int> CheckAsync(CancellationToken ct, IReadOnlySet<string>? changed = null)
    {
        using var scope = services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<HubDbContext>();
        var now = clock.GetUtcNow();
        var repaired = 0;
        var sources = await SourceSeeder.PullSourcesAsync(db, ct);
        var ids = sources.Select(s => ScheduleSetup.JobId(s.Id)).ToList();
        Dictionary<string, RecurringJobDto> found;
        HashSet<string> scheduled;
        using (var connection = storage.GetConnection())
        {
            found = connection.GetRecurringJobs(ids).Where(j => !j.Removed).ToDictionary(j => j.Id, StringComparer.Ordinal);
            scheduled = connection.GetAllItemsFromSet("recurring-jobs");
        }
        foreach (var source in sources)
        {
            var id = ScheduleSetup.JobId(source.Id);
            var why = Diagnose(found.GetValueOrDefault(id), scheduled.Contains(id), ScheduleSetup.Cron(source), ScheduleSetup.Interval(source), now);
            if (why is null) continue;
            // written anew, so its next execution is computed from now (an update in place would keep a broken one)
            recurring.RemoveIfExists(id);
            ScheduleSetup.Schedule(recurring, source);
            if (changed?.Contains(source.Id) == true)
            {
                log.LogInformation("Scheduled {Source} after a registry change ({Why})", source.Id, why);
                continue;
            }
            log.LogWarning("Schedule of {Source} stopped firing ({Why}); putting it back", source.Id, why);
            await NoteAsync(db, source.Id, $"schedule restarted by the watchdog: {why}", now, ct);
            repaired++;
        }
        ScheduleSetup.RemoveUnknown(storage, recurring, ids.ToHashSet(StringComparer.Ordinal), log);
        repaired += await EndOrphansAsync(db, sources.Select(s => s.Id).ToHashSet(StringComparer.Ordinal), now, ct);
        return repaired;
    }

    /// <summary>Pull jobs still "processing" on a node that stopped beating, past the point Hangfire would re-run them.</summary>
    private async Task<int> EndOrphansAsync(HubDbContext db, IReadOnlySet<string> sourceIds, DateTimeOffset now, CancellationToken ct)
    {
        var monitoring = storage.GetMonitoringApi();
        var alive = monitoring.Servers().Where(s => s.Heartbeat is { } h && now - new DateTimeOffset(DateTime.SpecifyKind(h, DateTimeKind.Utc)) < HangfireSetup.ServerTimeout)
            .Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        var ended = 0;
        var processing = monitoring.ProcessingJobs(0, 500);
        foreach (var (jobId, job) in processing)
        {
            if (job?.Job is not { Type: var type, Args: [string sourceId, ..] } || type != typeof(PullFeedJob) || !sourceIds.Contains(sourceId)) continue;
            var why = DiagnoseProcessing(job.ServerId, job.StartedAt, alive, now);
            if (why is null) continue;
            log.LogWarning("Pull job {Job} of {Source} {Why}; ending it", jobId, sourceId, why);
            if (jobs.ChangeState(jobId, new DeletedState { Reason = $"watchdog: {why}" }, ProcessingState.StateName))
            {
                await NoteAsync(db, sourceId, $"pull job {jobId} ended by the watchdog: {why}", now, ct);
                ended++;
            }
        }
        return ended;
    }

    private static Task NoteAsync(HubDbContext db, string sourceId, string error, DateTimeOffset now, CancellationToken ct) =>
        db.Sources.Where(s => s.Id == sourceId).ExecuteUpdateAsync(u => u.SetProperty(s => s.LastError, error).SetProperty(s => s.LastErrorAt, now), ct);

    /// <summary>Why a pull's recurring job is not going to fire on its own, or null when it is healthy.</summary>
    public static string? Diagnose(RecurringJobDto? job, bool inScheduleSet, string cron, TimeSpan interval, DateTimeOffset now)
    {
        if (job is null) return "recurring job missing";
        if (!inScheduleSet) return "recurring job not in the schedule set";
        if (!string.IsNullOrEmpty(job.Error)) return $"recurring job in error: {FirstLine(job.Error)}";
        if (job.NextExecution is not { } nextUtc) return "recurring job has no next execution";
        if (!string.Equals(job.Cron, cron, StringComparison.Ordinal)) return $"recurring job runs '{job.Cron}', not '{cron}'";
        var next = new DateTimeOffset(DateTime.SpecifyKind(nextUtc, DateTimeKind.Utc));
        var late = now - next;
        if (late > interval + Allowance) return $"next execution {next:yyyy-MM-ddTHH:mm:ssZ} passed {late.TotalSeconds:0} s ago";
        if (-late > interval + Allowance) return $"next execution {next:yyyy-MM-ddTHH:mm:ssZ} is {-late.TotalSeconds:0} s away, more than one interval";
        return null;
    }

    /// <summary>Why a processing pull job will not finish, or null while its node is alive (or Hangfire may still re-run it).</summary>
    public static string? DiagnoseProcessing(string? serverId, DateTime? startedAt, IReadOnlySet<string> aliveServers, DateTimeOffset now)
    {
        if (serverId is not null && aliveServers.Contains(serverId)) return null;
        if (startedAt is { } s && now - new DateTimeOffset(DateTime.SpecifyKind(s, DateTimeKind.Utc)) < HangfireSetup.InvisibilityTimeout + Allowance) return null;
        return $"left processing by node {serverId ?? "(unknown)"}, which is no longer alive";
    }

    private static string FirstLine(string s) => s.Split('\n', 2)[0].Trim();
}
